//! `data`: where orders are kept (in memory: the tutorial's point here is
//! the call to the user-service), and the client of the user-service.

use std::collections::BTreeMap;
use std::sync::Mutex;

use bia::client::Dial;
use bia::middleware::circuitbreaker::CircuitBreaker;
use bia::middleware::metrics::Metrics;
use bia::middleware::retry::Retry;
use bia::middleware::timeout::Timeout;
use bia::middleware::trace::Tracing;
use bia::registry::Registry;
use user_service::api::{UserApiGrpcClient, UserApiOperation};

use crate::biz::{Order, OrderRepo};
use crate::conf::Bootstrap;

/// Orders in memory.
#[derive(Debug, Default)]
pub struct MemoryOrderRepo {
    orders: Mutex<BTreeMap<String, Order>>,
}

impl OrderRepo for MemoryOrderRepo {
    fn save(&self, order: &Order) {
        self.orders.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(order.id.clone(), order.clone());
    }

    fn get(&self, id: &str) -> Option<Order> {
        self.orders.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(id).cloned()
    }
}

/// Provides the repository.
#[bia::provider(bind = dyn OrderRepo)]
pub fn new_order_repo() -> MemoryOrderRepo {
    MemoryOrderRepo::default()
}

/// Provides the user-service's generated gRPC client, dialed through the
/// registry (`users.target`, `discovery:///user-service` by default) and
/// balanced per call: a client span continuing the order call's trace
/// (`traceparent` sent on), `client_requests_*` metrics, and
/// on every call `users.timeout`, a retry of idempotent calls on another
/// instance when an attempt failed before it was processed or took longer
/// than `users.attempt_timeout`, and the circuit breaker of
/// `users.breaker` (each attempt counted).
#[bia::provider]
pub async fn new_user_client(
    conf: &Bootstrap,
    registry: &Registry,
    metrics: &Metrics,
    _telemetry: &crate::app::Telemetry,
) -> bia::Result<UserApiGrpcClient> {
    let dial = Dial::new(conf.users.target.clone()).discovery(registry.discovery.clone());
    let retry = Retry::new().idempotent(UserApiOperation::IDEMPOTENT).on_timeout(true).max_attempts(3)?;
    let breaker = CircuitBreaker::new().request(conf.users.breaker.request).success(conf.users.breaker.success)?;
    Ok(UserApiGrpcClient::dial(dial)
        .await?
        .middleware(Tracing::client())
        .middleware(metrics.client())
        .middleware(Timeout::new(conf.users.timeout))
        .middleware(retry)
        // Outside the attempt's timeout, so that it sees the attempts that
        // timed out (a timeout drops what runs inside it).
        .middleware(breaker)
        .middleware(Timeout::new(conf.users.attempt_timeout)))
}
