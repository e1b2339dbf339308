"""What an operator watches: request ids in logs and pages, Prometheus metrics."""
