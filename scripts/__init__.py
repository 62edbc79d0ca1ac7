"""Operator scripts; cluster.py is also imported by the cluster tests (tests/cluster/)."""
