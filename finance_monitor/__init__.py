"""Financial sentiment monitor: scheduled ingestion, topic and sentiment scoring, trend alerts, dashboard."""
