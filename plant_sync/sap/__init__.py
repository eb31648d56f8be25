"""SAP client side: OData v2 and RFC transports behind one :class:`SapService` interface."""
