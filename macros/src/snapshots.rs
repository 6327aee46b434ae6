//! Expansion snapshots: each macro's output, pretty-printed with prettyplease,
//! compared with a file checked in under `tests/snapshots/`. Run with
//! `BIA_SNAPSHOTS=overwrite` after an intended change and review the diff.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

use crate::driver::{run, Family};
use crate::enumeration::EnumerationMacro;
use crate::errors::ErrorsMacro;
use crate::message::MessageMacro;
use crate::provider::ProviderMacro;
use crate::service::ServiceMacro;

/// What the entry point of `F` emits.
fn expand<F: Family>(attr: TokenStream, item: TokenStream) -> TokenStream {
    let (tokens, errors) = run::<F>(attr, item);
    crate::output(tokens, errors)
}

fn snapshot(name: &str, tokens: TokenStream) {
    let file: syn::File =
        syn::parse2(tokens.clone()).unwrap_or_else(|e| panic!("{name}: output does not parse: {e}\n{tokens}"));
    let text = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/snapshots").join(format!("{name}.expanded.rs"));
    let overwrite = std::env::var("BIA_SNAPSHOTS").as_deref() == Ok("overwrite");
    match std::fs::read_to_string(&path) {
        Ok(old) if !overwrite => assert!(
            old == text,
            "{name}: expansion changed; review and re-run with BIA_SNAPSHOTS=overwrite\n--- new ---\n{text}"
        ),
        _ => {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create snapshots dir");
            std::fs::write(&path, &text).expect("write snapshot");
            assert!(overwrite, "{name}: snapshot {} was missing and has been written; re-run", path.display());
        }
    }
}

fn message_input() -> (TokenStream, TokenStream) {
    (
        quote!(package = "user.v1"),
        quote! {
            /// A user.
            pub struct UserInfo {
                pub id: String,
                pub display_name: String,
                #[field(tag = 5, sint64)]
                pub age: i64,
                pub nickname: Option<String>,
                pub tags: Vec<String>,
                pub labels: ::std::collections::HashMap<String, i32>,
                pub role: Role,
                pub address: Option<Address>,
            }
        },
    )
}

fn service_input() -> (TokenStream, TokenStream) {
    (
        quote!(package = "user.v1", name = "User"),
        quote! {
            /// The user service.
            pub trait UserApi: Send + Sync + 'static {
                /// Creates a user.
                #[rpc(post = "/v1/user", body = "*")]
                async fn create_user(&self, req: CreateUserRequest) -> bia::Result<CreateUserReply>;
                #[rpc(get = "/v1/user/<id>", idempotent)]
                async fn get_user(&self, req: GetUserRequest) -> bia::Result<GetUserReply>;
                async fn list_users(&self, req: ListUsersRequest) -> bia::Result<ListUsersReply>;
            }
        },
    )
}

#[test]
fn message() {
    let (attr, item) = message_input();
    snapshot("message", expand::<MessageMacro>(attr, item));
}

/// `#[validate]` rules: `validate` and `validate_at` added, attributes stripped.
#[test]
fn message_with_rules() {
    let item = quote! {
        pub struct CreateUserRequest {
            #[validate(required, nested)]
            pub user: Option<UserInfo>,
            #[validate(length(min = 1, max = 64), pattern = "^[a-z]+$")]
            pub name: String,
            #[validate(range(min = 0, max = 150))]
            pub age: u32,
            #[validate(range(gt = 0, lt = 1))]
            pub ratio: f64,
            #[validate(email)]
            pub email: String,
            #[validate(length(max = 3), each(length(min = 1)))]
            pub tags: Vec<String>,
            #[validate(each(nested))]
            pub places: ::std::collections::BTreeMap<String, Address>,
        }
    };
    snapshot("message_validate", expand::<MessageMacro>(quote!(package = "user.v1"), item.clone()));
    let renamed = expand::<MessageMacro>(quote!(package = "user.v1", crate = "::renamed"), item).to_string();
    assert!(!renamed.contains(":: bia ::"), "{renamed}");
    assert!(!renamed.contains("# [validate"), "a #[validate] attribute was left in:\n{renamed}");
}

#[test]
fn enumeration() {
    let out = expand::<EnumerationMacro>(
        quote!(package = "user.v1"),
        quote!(
            pub enum Role {
                Unspecified = 0,
                Admin = 1,
                #[value(name = "ROLE_GUEST_USER")]
                Guest = 2,
            }
        ),
    );
    snapshot("enumeration", out);
}

#[test]
fn errors() {
    let out = expand::<ErrorsMacro>(
        quote!(domain = "user.v1"),
        quote!(
            pub enum UserError {
                #[error(code = 404)]
                UserNotFound,
                #[error(code = 409, message = "email is taken")]
                EmailTaken,
            }
        ),
    );
    snapshot("errors", out);
}

#[test]
fn service() {
    let (attr, item) = service_input();
    snapshot("service", expand::<ServiceMacro>(attr, item));
}

/// A renamed runtime crate must be the only path the output uses.
#[test]
fn crate_override_is_honoured_everywhere() {
    let (_, item) = message_input();
    let m = expand::<MessageMacro>(quote!(package = "user.v1", crate = "::renamed"), item).to_string();
    let (_, item) = service_input();
    let s = expand::<ServiceMacro>(quote!(package = "user.v1", crate = "::renamed"), item).to_string();
    let e = expand::<ErrorsMacro>(
        quote!(crate = "::renamed"),
        quote!(
            pub enum E {
                #[error(code = 404)]
                A,
            }
        ),
    )
    .to_string();
    let n = expand::<EnumerationMacro>(
        quote!(crate = "::renamed"),
        quote!(
            pub enum R {
                A = 0,
            }
        ),
    )
    .to_string();
    for out in [m, s, e, n] {
        assert!(out.contains(":: renamed ::"), "{out}");
        assert!(!out.contains(":: bia ::"), "the output names `::bia` despite `crate = \"::renamed\"`:\n{out}");
    }
}

/// A misuse still re-emits the user's trait (attributes stripped), so impls of
/// it keep compiling and only the real error is reported.
#[test]
fn failed_service_still_emits_the_trait() {
    let out = expand::<ServiceMacro>(
        quote!(package = "user.v1"),
        quote! {
            pub trait Broken {
                #[rpc(fetch = "/x")]
                async fn get(&self, req: Req) -> bia::Result<Rep>;
            }
        },
    )
    .to_string();
    assert!(out.contains("pub trait Broken"), "{out}");
    assert!(!out.contains("# [rpc"), "{out}");
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
}

#[test]
fn provider() {
    let out = expand::<ProviderMacro>(
        quote!(bind = dyn UserRepo),
        quote! {
            /// Provides the repository.
            pub async fn new_user_repo(conf: &Bootstrap, pool: Arc<Pool>, metrics: Metrics) -> bia::Result<(SqlUserRepo, Cleanup)> {
                SqlUserRepo::connect(conf, pool, metrics).await
            }
        },
    );
    snapshot("provider", out);
}
