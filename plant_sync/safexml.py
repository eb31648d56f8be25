"""Safe XML parsing for everything that comes from a remote system.

No DTD is loaded, no entity is expanded, nothing is fetched from the network or the file system,
and a document that *declares* a DTD is refused outright (XXE and billion-laughs payloads never
reach the tree builder's entity logic).
"""

from __future__ import annotations

from lxml import etree

from .errors import ProtocolError

MAX_XML_BYTES = 20 * 1024 * 1024


def safe_parser(**kwargs) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse untrusted XML. Raises :class:`ProtocolError` for DTDs, entities, oversize or
    malformed input."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > max_bytes:
        raise ProtocolError(f"XML document of {len(data)} bytes exceeds the {max_bytes} limit")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise ProtocolError("XML with a DTD or entity declaration refused (possible XXE)")
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise ProtocolError(f"Malformed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise ProtocolError("XML with a DTD refused (possible XXE)")
    return root
