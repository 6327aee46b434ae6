//! The Kratos tutorial's user service, written with Bia.
//!
//! Layers as the tutorial has them: [`api`] (the contract), [`service`]
//! (implements it), [`biz`] (domain and use cases), [`data`] (the repository
//! on SQLite or Postgres), [`server`] (HTTP and gRPC), and `main` (config,
//! logging, wiring, run).

pub mod api;
pub mod biz;
pub mod conf;
pub mod data;
pub mod server;
pub mod service;

use std::sync::Arc;

/// Builds the app from a config: repo -> use case -> service -> servers.
pub async fn app(conf: &conf::Bootstrap) -> bia::Result<bia::App> {
    let repo = data::SqlUserRepo::connect(&conf.data.database).await?;
    let closing = repo.clone();
    let uc = biz::UserUseCase::new(Arc::new(repo));
    let svc = api::UserApiServer::new(service::UserService::new(uc));
    Ok(bia::App::new("user-service")
        .version(env!("CARGO_PKG_VERSION"))
        .http(server::http(&conf.server, svc.clone()))
        .grpc(server::grpc(&conf.server, svc))
        .after_stop(move || async move {
            closing.close().await;
            Ok(())
        }))
}
