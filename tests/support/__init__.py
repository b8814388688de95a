"""Shared helpers for the test suite: real servers and fixtures builders."""
