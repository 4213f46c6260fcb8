"""JUnit XML, the one writer: test suites of test cases, each passed, failed, errored
or skipped. Used by ``seqcheck validate --format junit`` (one suite per project) and
the certificate (one suite, a case per requirement); each builds :class:`Suite` values
and leaves the XML to this module.
"""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field


class Result(enum.Enum):
    """How a test case ended; all but ``PASSED`` get their JUnit child element."""

    PASSED = "passed"
    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Case:
    """One ``<testcase>``."""

    classname: str
    name: str
    result: Result = Result.PASSED
    #: The ``message`` attribute of the failure, error or skipped element.
    message: str = ""
    #: The ``type`` attribute of a failure (omitted when None).
    kind: str | None = None
    #: The text of the failure or error element.
    detail: str | None = None
    #: ``<system-out>`` text (omitted when None).
    output: str | None = None


@dataclass
class Suite:
    """One ``<testsuite>``: its cases, properties and which optional counts it shows."""

    name: str
    cases: list[Case] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)
    #: Write the ``skipped`` count attribute.
    count_skipped: bool = False
    #: Seconds, written as the ``time`` attribute when set.
    time: float | None = None

    def count(self, result: Result) -> int:
        """How many cases ended with ``result``."""
        return sum(1 for case in self.cases if case.result is result)


def _case_element(parent: ET.Element, case: Case) -> None:
    element = ET.SubElement(parent, "testcase", classname=case.classname, name=case.name)
    if case.result is not Result.PASSED:
        attributes = {"message": case.message}
        if case.kind is not None:
            attributes["type"] = case.kind
        child = ET.SubElement(element, case.result.value, attributes)
        if case.detail is not None:
            child.text = case.detail
    if case.output is not None:
        ET.SubElement(element, "system-out").text = case.output


def suite_element(suite: Suite) -> ET.Element:
    """The ``<testsuite>`` element of ``suite``."""
    element = ET.Element("testsuite", name=suite.name)
    if suite.properties:
        properties = ET.SubElement(element, "properties")
        for key, value in suite.properties:
            ET.SubElement(properties, "property", name=key, value=value)
    for case in suite.cases:
        _case_element(element, case)
    element.set("tests", str(len(suite.cases)))
    element.set("failures", str(suite.count(Result.FAILURE)))
    element.set("errors", str(suite.count(Result.ERROR)))
    if suite.count_skipped:
        element.set("skipped", str(suite.count(Result.SKIPPED)))
    if suite.time is not None:
        element.set("time", f"{suite.time:.3f}")
    return element


def testsuites_document(name: str, suites: Sequence[Suite]) -> str:
    """A ``<testsuites>`` document with totals, indented, with an XML declaration."""
    root = ET.Element("testsuites", name=name)
    for suite in suites:
        root.append(suite_element(suite))
    root.set("tests", str(sum(len(s.cases) for s in suites)))
    root.set("failures", str(sum(s.count(Result.FAILURE) for s in suites)))
    root.set("errors", str(sum(s.count(Result.ERROR) for s in suites)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def testsuite_document(suite: Suite) -> str:
    """A document whose root is the one ``<testsuite>`` (unindented)."""
    return ET.tostring(suite_element(suite), encoding="unicode", xml_declaration=True) + "\n"


__all__ = ["Case", "Result", "Suite", "suite_element", "testsuite_document",
           "testsuites_document"]
