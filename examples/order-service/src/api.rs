//! `api`: the contract of the order service: messages, the `Order` service
//! and its errors.

/// An order.
#[bia::message(package = "order.v1")]
pub struct OrderInfo {
    pub id: String,
    /// The user-service's id of the buyer.
    pub user_id: String,
    pub item: String,
    pub quantity: i64,
}

/// The buyer, as the user-service knows them.
#[bia::message(package = "order.v1")]
pub struct Buyer {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[bia::message(package = "order.v1")]
pub struct CreateOrderRequest {
    #[validate(required)]
    pub user_id: String,
    #[validate(required, length(max = 128))]
    pub item: String,
    #[validate(range(min = 1, max = 1000))]
    pub quantity: i64,
}

#[bia::message(package = "order.v1")]
pub struct CreateOrderReply {
    pub order: Option<OrderInfo>,
}

#[bia::message(package = "order.v1")]
pub struct GetOrderRequest {
    pub id: String,
}

#[bia::message(package = "order.v1")]
pub struct GetOrderReply {
    pub order: Option<OrderInfo>,
}

#[bia::message(package = "order.v1")]
pub struct GetOrderDetailsWithUserRequest {
    pub id: String,
}

#[bia::message(package = "order.v1")]
pub struct GetOrderDetailsWithUserReply {
    pub order: Option<OrderInfo>,
    pub user: Option<Buyer>,
}

/// Errors of the order service.
#[bia::errors(domain = "order.v1")]
pub enum OrderError {
    /// No order with this id.
    #[error(code = 404)]
    OrderNotFound,
    /// The buyer is not a user of the user-service.
    #[error(code = 400)]
    UnknownUser,
}

/// The order service.
#[bia::service(package = "order.v1", name = "Order")]
pub trait OrderApi: Send + Sync + 'static {
    /// Places an order for a user of the user-service (checked there).
    #[rpc(post = "/v1/orders", body = "*")]
    async fn create_order(&self, req: CreateOrderRequest) -> bia::Result<CreateOrderReply>;

    /// An order.
    #[rpc(get = "/v1/orders/<id>")]
    async fn get_order(&self, req: GetOrderRequest) -> bia::Result<GetOrderReply>;

    /// An order with its buyer, from the user-service.
    #[rpc(get = "/v1/orders/<id>/user")]
    async fn get_order_details_with_user(
        &self,
        req: GetOrderDetailsWithUserRequest,
    ) -> bia::Result<GetOrderDetailsWithUserReply>;
}

/// The settings of the service's OpenAPI document, which the HTTP server
/// serves at `/openapi.json` and `/openapi.yaml` and `order-service
/// openapi` prints.
pub fn openapi() -> bia::schema::OpenApi {
    bia::schema::OpenApi::new("order-service", "1.0.0")
        .description("Orders of the users of the user-service.")
        .service::<OrderApiServer<()>>()
        .errors::<OrderError>()
}
