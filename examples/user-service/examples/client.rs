//! The tutorial's gRPC calls from Rust, with the generated client:
//! `cargo run -p user-service --example client` (the service must be running).
//! Pass another address as the first argument: `-- http://127.0.0.1:9000`.

use user_service::api::{CreateUserRequest, GetUserRequest, ListUsersRequest, UserApiGrpcClient};

#[tokio::main]
async fn main() -> Result<(), bia::Error> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:9000".to_owned());
    let client = UserApiGrpcClient::connect(addr).await?;
    let email = format!("grpc-{}@example.com", std::process::id());
    let created = client.create_user(CreateUserRequest { name: "grpc".into(), email }).await?;
    println!("CreateUser -> {created:?}");
    let id = created.user.map(|u| u.id).unwrap_or_default();
    println!("GetUser    -> {:?}", client.get_user(GetUserRequest { id }).await?);
    println!("ListUsers  -> {:?}", client.list_users(ListUsersRequest { page: 1, page_size: 10 }).await?);
    match client.get_user(GetUserRequest { id: "00000000-0000-0000-0000-000000000000".into() }).await {
        Err(e) => println!("GetUser of an unknown id -> {} {} {}", e.code(), e.reason(), e.message()),
        Ok(r) => println!("unexpected: {r:?}"),
    }
    Ok(())
}
