"""The conformance suite's test modules (collected by the seqcheck pytest plugin)."""
