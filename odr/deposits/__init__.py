"""Deposit certificates: proof that a party held an original work at a given time, before any dispute."""
