"""Stdio adapters speaking the seqcheck adapter protocol v1.

* ``python -m conformance.adapters.reference``: seqcheck's reference store;
* ``python -m conformance.adapters.python --factory module:factory``: any Python
  implementation (``factory(project_dir)`` returning an object with the store methods);
* ``node conformance/adapters/node/adapter.mjs --module PATH --export NAME``: a JS
  module shaped like the StoryCore app's ProjectService.
"""
