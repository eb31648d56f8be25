"""SAP RFC client: a small connection interface pyrfc's Connection satisfies, BAPI LUWs with
commit/rollback on the same connection, RETURN parsing and RFC_READ_TABLE streaming."""
