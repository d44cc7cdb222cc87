"""Linked accounts: identifiers that platforms hold about sellers and notifiers, kept only as keyed
hashes, and the graph of accounts and identifiers that shows which accounts are one business."""
