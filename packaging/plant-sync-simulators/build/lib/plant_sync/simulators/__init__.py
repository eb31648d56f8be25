"""Protocol simulators (SAP, CMMS) for tests and demos: real HTTP servers over a local store."""
