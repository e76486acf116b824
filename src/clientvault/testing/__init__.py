"""Factories and helpers for tests, by subject (ARCHITECTURE.md, Layout: never imported by production code).

Plain functions (no fixture files), kept in the package so app tests and cross-app tests share them:
``identifiers``, ``organisation``, ``actors``, ``customers``, ``consents``, ``policies``, ``audit``.
"""
