"""Customer credit risk (issue #16): scorecards scored in plain Python from a versioned JSON spec."""
