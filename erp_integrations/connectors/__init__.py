"""How export documents reach the ERP: `connector_for(connection)` picks the connector
the company's ERP connection names."""

from __future__ import annotations

from django.conf import settings

from erp_integrations.connectors.base import (
    Connector,
    ExportError,
    PermanentExportError,
    TransientExportError,
)
from erp_integrations.connectors.file import FileConnector
from erp_integrations.connectors.http import HttpConnector
from erp_integrations.models import ConnectorKind, ErpConnection

__all__ = [
    "Connector",
    "ExportError",
    "FileConnector",
    "HttpConnector",
    "PermanentExportError",
    "TransientExportError",
    "connector_for",
]

UNKNOWN_CONNECTOR = (
    "The ERP connection uses an unknown connector ({connector}). Ask your company admin to "
    "choose File, HTTP or Agent on the ERP connection."
)

AGENT_PULLS = (
    "The ERP connection uses the Agent connector: its on-premises agent pulls this export "
    "through the API, nothing is pushed."
)


def connector_for(connection: ErpConnection) -> Connector:
    """The connector that delivers this connection's export documents.
    Raises PermanentExportError for a connector this code does not know."""
    if connection.connector == ConnectorKind.FILE:
        return FileConnector(connection.export_directory or settings.ERP_EXPORT_DIR)
    if connection.connector == ConnectorKind.HTTP:
        return HttpConnector(connection.gateway_url, timeout=connection.timeout_seconds)
    if connection.connector == ConnectorKind.AGENT:
        # The worker passes over these items (exporting.pushed_items); one reaching here
        # was switched to the agent while its attempt ran: the agent exports it.
        raise TransientExportError(AGENT_PULLS)
    raise PermanentExportError(UNKNOWN_CONNECTOR.format(connector=connection.connector))
