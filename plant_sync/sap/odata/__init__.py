"""SAP Gateway OData v2 client: one HTTP session, CSRF, ETag, paging, $batch, typed errors."""
