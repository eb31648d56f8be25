"""Typed business operations, one module per business object; each module holds its
dataclasses and its OData and RFC implementations (mixins assembled in :mod:`..service`)."""
