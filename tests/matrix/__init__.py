"""The permission matrix's parts; the tests are in tests/test_permission_matrix.py."""
