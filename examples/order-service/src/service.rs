//! `service`: implements the API over the use cases.

use order_service::api::*;

use crate::biz::{Order, OrderUseCase};

/// The `Order` service.
#[derive(Clone)]
pub struct OrderService {
    uc: OrderUseCase,
}

/// Provides the service.
#[bia::provider]
pub fn new_order_service(uc: &OrderUseCase) -> OrderService {
    OrderService { uc: uc.clone() }
}

fn info(o: Order) -> OrderInfo {
    OrderInfo { id: o.id, user_id: o.user_id, item: o.item, quantity: o.quantity }
}

impl OrderApi for OrderService {
    async fn create_order(&self, req: CreateOrderRequest) -> bia::Result<CreateOrderReply> {
        let order = self.uc.create(&req.user_id, &req.item, req.quantity).await?;
        Ok(CreateOrderReply { order: Some(info(order)) })
    }

    async fn get_order(&self, req: GetOrderRequest) -> bia::Result<GetOrderReply> {
        Ok(GetOrderReply { order: Some(info(self.uc.get(&req.id)?)) })
    }

    async fn get_order_details_with_user(
        &self,
        req: GetOrderDetailsWithUserRequest,
    ) -> bia::Result<GetOrderDetailsWithUserReply> {
        let (order, user) = self.uc.details(&req.id).await?;
        Ok(GetOrderDetailsWithUserReply {
            order: Some(info(order)),
            user: Some(Buyer { id: user.id, name: user.name, email: user.email }),
        })
    }
}
