//! Hygiene of the router a custom verb makes (one handler for every method
//! of `/v1/{p0}`, picking the binding): no implicit prelude, the runtime
//! reachable only as `renamed_bia`, and `::bia` a decoy, as in `hygiene.rs`.

#![no_implicit_prelude]

extern crate bia as renamed_bia;
extern crate core;
extern crate core as bia;
extern crate std;
extern crate tokio;
extern crate tower;

/// One operation.
#[::renamed_bia::message(package = "hyverbs.v1", crate = "::renamed_bia")]
pub struct Operation {
    pub id: ::std::string::String,
    pub done: bool,
}

/// `<id>:cancel` and `<id>` on one axum path, and a collection verb.
#[::renamed_bia::service(package = "hyverbs.v1", crate = "::renamed_bia")]
pub trait Operations: ::core::marker::Send + ::core::marker::Sync + 'static {
    #[rpc(post = "/v1/<id>:cancel", additional_bindings(post = "/v1/<id>:abort"))]
    async fn cancel(&self, req: Operation) -> ::renamed_bia::Result<Operation>;

    #[rpc(get = "/v1/<id>")]
    async fn get(&self, req: Operation) -> ::renamed_bia::Result<Operation>;

    #[rpc(get = "/v1/operations:batchGet")]
    async fn batch_get(&self, req: Operation) -> ::renamed_bia::Result<Operation>;
}

mod checks {
    use ::std::result::Result::Ok;
    use ::std::string::ToString;

    use super::*;

    struct Impl;

    impl Operations for Impl {
        async fn cancel(&self, req: Operation) -> ::renamed_bia::Result<Operation> {
            Ok(Operation { done: true, ..req })
        }

        async fn get(&self, req: Operation) -> ::renamed_bia::Result<Operation> {
            Ok(req)
        }

        async fn batch_get(&self, _req: Operation) -> ::renamed_bia::Result<Operation> {
            Ok(Operation { id: "all".to_string(), done: false })
        }
    }

    async fn status(method: &str, path: &str) -> u16 {
        use ::tower::ServiceExt as _;
        let router = OperationsServer::new(Impl).into_router();
        let req = ::renamed_bia::__private::http::Request::builder()
            .method(method)
            .uri(path)
            .body(::renamed_bia::__private::axum::body::Body::empty())
            .unwrap();
        router.oneshot(req).await.unwrap().status().as_u16()
    }

    #[::tokio::test]
    async fn the_verb_router_expands_hygienically_and_routes() {
        ::std::assert_eq!(status("POST", "/v1/7:cancel").await, 200);
        ::std::assert_eq!(status("POST", "/v1/7:abort").await, 200);
        ::std::assert_eq!(status("GET", "/v1/7").await, 200);
        ::std::assert_eq!(status("GET", "/v1/operations:batchGet").await, 200);
        ::std::assert_eq!(status("POST", "/v1/7").await, 405);
        ::std::assert_eq!(status("POST", "/v1/7:stop").await, 405);
        ::std::assert_eq!(status("DELETE", "/v1/7:cancel").await, 405);
    }
}
