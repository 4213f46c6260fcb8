"""The one place that turns a Python implementation into protocol responses.

:func:`handle` takes a *factory* (``factory(project_dir) -> store``, the store having
methods named like :class:`conformance.reference.ReferenceStore`'s) and one request
dict, and returns the response dict. The in-process transport and the stdio server
(``python -m conformance.adapters.python``) both call it, so an implementation gets
identical semantics through either path.

Mapping: a :class:`SeqcheckError` becomes its ``to_dict()``; ``NotImplementedError``
or a missing method becomes UNSUPPORTED; any other exception becomes INTERNAL_ERROR
naming its type, message and where it was raised; a result that is not JSON becomes
INTERNAL_ERROR too, since no adapter could send it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from conformance.errors import ErrorCode, SeqcheckError
from conformance.protocol import messages

#: ``factory(project_dir)`` returns an object with the store methods.
StoreFactory = Callable[[str], Any]

#: Store operations: op name (= method name) -> argument names after ``project``.
STORE_OPS: dict[str, tuple[str, ...]] = {
    "update_shot": ("sequence_id", "shot_id", "updates"),
    "get_shots": ("sequence_id",),
    "get_all_sequences": (),
    "update_legacy_shot": ("shot_id", "updates"),
    "save_shot": ("shot_id", "updates"),
}


def factory_name(factory: Any) -> str:
    """``factory.name`` if set, else ``module:qualname`` of the factory."""
    name = getattr(factory, "name", None)
    if isinstance(name, str) and name:
        return name
    module = getattr(factory, "__module__", None) or type(factory).__module__
    qualname = getattr(factory, "__qualname__", None) or type(factory).__qualname__
    return f"{module}:{qualname}"


def hello_result(factory: Any) -> dict[str, Any]:
    """The ``hello`` result from the factory's optional ``name``/``version``/``capabilities``."""
    version = getattr(factory, "version", None)
    capabilities: Iterable[Any] = getattr(factory, "capabilities", None) or ()
    return {
        "name": factory_name(factory),
        "version": str(version) if version is not None else "unknown",
        "protocol": messages.PROTOCOL_VERSION,
        # Capability enums and plain strings alike; the schema rejects unknown names.
        "capabilities": [getattr(c, "value", c) for c in capabilities],
    }


def describe_exception(exc: BaseException) -> str:
    """``Type: message (at file:line in function)``, for INTERNAL_ERROR messages."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return text


def _unsupported(request_id: int | None, op: str, why: str) -> dict[str, Any]:
    return messages.error_response(
        request_id,
        SeqcheckError(ErrorCode.UNSUPPORTED, f"operation {op!r} is not supported: {why}."),
    )


def _request_id(request: Any) -> int | None:
    if isinstance(request, dict):
        value = request.get("id")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def handle(factory: StoreFactory, request: Any) -> dict[str, Any]:
    """Serve one request with ``factory``; always return a response dict, never raise.

    ``shutdown`` is answered with ``null`` here; ending the process is the server's job.
    """
    request_id = _request_id(request)
    bad = messages.request_problem(request)
    if bad is not None:
        return messages.internal_error(request_id, f"malformed request {bad}")
    op: str = request["op"]
    args: dict[str, Any] = request["args"]
    if op == "hello":
        try:
            return messages.ok_response(request_id, hello_result(factory))
        except Exception as exc:  # a broken name/version property
            return messages.internal_error(request_id, describe_exception(exc))
    if op == "shutdown":
        return messages.ok_response(request_id, None)
    arg_names = STORE_OPS.get(op)
    if arg_names is None:
        return _unsupported(request_id, op, "protocol v1 has no such operation")
    try:
        store = factory(args["project"])
        method = getattr(store, op, None)
        if not callable(method):
            return _unsupported(request_id, op, f"{type(store).__name__} has no method {op}")
        result = method(*(args[name] for name in arg_names))
    except SeqcheckError as exc:
        return messages.error_response(request_id, exc)
    except NotImplementedError as exc:
        return _unsupported(
            request_id, op, str(exc) or "the implementation raised NotImplementedError"
        )
    except Exception as exc:
        return messages.internal_error(request_id, describe_exception(exc))
    response = messages.ok_response(request_id, result)
    try:
        messages.encode(response)
    except messages.MessageError as exc:
        return messages.internal_error(request_id, f"{op} returned a value that {exc}")
    return response


class StoreCache:
    """A factory wrapper keeping one store per project, like a long-lived app process.

    Forwards the wrapped factory's ``name``/``version``/``capabilities`` for ``hello``.
    Dropping the cache (a new :class:`StoreCache`) is an in-process "restart".
    """

    def __init__(self, factory: StoreFactory) -> None:
        self.factory = factory
        self.name = factory_name(factory)
        self.version = getattr(factory, "version", None)
        self.capabilities = tuple(getattr(factory, "capabilities", None) or ())
        self._stores: dict[str, Any] = {}

    def __call__(self, project: str) -> Any:
        store = self._stores.get(project)
        if store is None:
            # A constructor that raises is not cached: the next call tries again.
            store = self.factory(project)
            self._stores[project] = store
        return store
