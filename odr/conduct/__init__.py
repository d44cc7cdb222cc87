"""Conduct: each participant's record computed from outcomes, wrongful-notice findings, repeat-infringer strikes
and the account-level measures they lead to (rules/policy/conduct.yaml)."""
