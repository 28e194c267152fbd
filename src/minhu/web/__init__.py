"""The thin shared web kit: rendering, error replies, size limits, CSRF. It knows no domain."""
