//! Client retry of idempotent operations, with backoff and a budget.
