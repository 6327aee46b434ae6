//! `biz`: orders, where they are kept, and the use cases.

use std::sync::Arc;

use order_service::api::OrderError;
use user_service::api::{GetUserRequest, UserApiGrpcClient, UserError, UserInfo};

/// An order of the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub item: String,
    pub quantity: i64,
}

/// Where orders are kept (implemented by `data`).
pub trait OrderRepo: Send + Sync + 'static {
    /// Saves an order.
    fn save(&self, order: &Order);
    /// The order with this id.
    fn get(&self, id: &str) -> Option<Order>;
}

/// The use cases of orders.
#[derive(Clone)]
pub struct OrderUseCase {
    repo: Arc<dyn OrderRepo>,
    users: UserApiGrpcClient,
}

/// Provides the use cases over the repository and the user-service.
#[bia::provider]
pub fn new_order_use_case(repo: Arc<dyn OrderRepo>, users: &UserApiGrpcClient) -> OrderUseCase {
    OrderUseCase { repo, users: users.clone() }
}

impl OrderUseCase {
    /// The user-service's user `id`; an unknown one is `UnknownUser`, other
    /// errors of the user-service (unavailable, timeout) come back as they are.
    async fn user(&self, id: &str) -> bia::Result<UserInfo> {
        match self.users.get_user(GetUserRequest { id: id.to_owned() }).await {
            Ok(reply) => reply.user.ok_or_else(|| OrderError::unknown_user(format_args!("user {id} not found"))),
            Err(e) if UserError::is_user_not_found(&e) || UserError::is_invalid_id(&e) => {
                Err(OrderError::unknown_user(format_args!("user {id} is not a user of the user-service"))
                    .with_metadata("user_id", id))
            }
            Err(e) => Err(e),
        }
    }

    /// Places an order for an existing user.
    pub async fn create(&self, user_id: &str, item: &str, quantity: i64) -> bia::Result<Order> {
        self.user(user_id).await?;
        let order = Order {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            item: item.to_owned(),
            quantity,
        };
        self.repo.save(&order);
        tracing::info!(order.id = %order.id, "order created");
        Ok(order)
    }

    /// The order `id`.
    pub fn get(&self, id: &str) -> bia::Result<Order> {
        self.repo
            .get(id)
            .ok_or_else(|| OrderError::order_not_found(format_args!("order {id} not found")).with_metadata("id", id))
    }

    /// The order `id` and its buyer.
    pub async fn details(&self, id: &str) -> bia::Result<(Order, UserInfo)> {
        let order = self.get(id)?;
        let user = self.user(&order.user_id).await?;
        Ok((order, user))
    }
}
