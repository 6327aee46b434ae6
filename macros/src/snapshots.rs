//! Expansion snapshots: each macro's output, pretty-printed with prettyplease,
//! compared with a file checked in under `tests/snapshots/`. Run with
//! `BIA_SNAPSHOTS=overwrite` after an intended change and review the diff.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

use crate::driver::{Family, ItemKind};

/// What the entry point of `family` emits.
fn expand<I: ItemKind, R, M>(family: &Family<I, R, M>, attr: TokenStream, item: TokenStream) -> TokenStream {
    let (tokens, errors) = family.run(attr, item);
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

/// One use of a macro: its snapshot's name, the macro, and its input.
struct Case {
    name: &'static str,
    expand: fn(TokenStream, TokenStream) -> TokenStream,
    attr: TokenStream,
    item: TokenStream,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "message",
            expand: |attr, item| expand(&crate::message::MACRO, attr, item),
            attr: quote!(package = "user.v1"),
            item: quote! {
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
        },
        // `#[validate]` rules: `validate` and `validate_at` added, attributes stripped.
        Case {
            name: "message_validate",
            expand: |attr, item| expand(&crate::message::MACRO, attr, item),
            attr: quote!(package = "user.v1"),
            item: quote! {
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
            },
        },
        Case {
            name: "enumeration",
            expand: |attr, item| expand(&crate::enumeration::MACRO, attr, item),
            attr: quote!(package = "user.v1"),
            item: quote! {
                pub enum Role {
                    Unspecified = 0,
                    Admin = 1,
                    #[value(name = "ROLE_GUEST_USER")]
                    Guest = 2,
                }
            },
        },
        Case {
            name: "errors",
            expand: |attr, item| expand(&crate::errors::MACRO, attr, item),
            attr: quote!(domain = "user.v1"),
            item: quote! {
                pub enum UserError {
                    #[error(code = 404)]
                    UserNotFound,
                    #[error(code = 409, message = "email is taken")]
                    EmailTaken,
                }
            },
        },
        Case {
            name: "service",
            expand: |attr, item| expand(&crate::service::MACRO, attr, item),
            attr: quote!(package = "user.v1", name = "User"),
            item: quote! {
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
        },
        Case {
            name: "provider",
            expand: |attr, item| expand(&crate::provider::MACRO, attr, item),
            attr: quote!(bind = dyn UserRepo),
            item: quote! {
                /// Provides the repository.
                pub async fn new_user_repo(conf: &Bootstrap, pool: Arc<Pool>, metrics: Metrics) -> bia::Result<(SqlUserRepo, Cleanup)> {
                    SqlUserRepo::connect(conf, pool, metrics).await
                }
            },
        },
    ]
}

#[test]
fn expansions_match_their_snapshots() {
    for case in cases() {
        snapshot(case.name, (case.expand)(case.attr, case.item));
    }
}

/// A renamed runtime crate must be the only path the output uses.
#[test]
fn crate_override_is_honoured_everywhere() {
    for Case { name, expand, attr, item } in cases() {
        let out = expand(quote!(#attr, crate = "::renamed"), item).to_string();
        assert!(out.contains(":: renamed ::"), "{name}: {out}");
        assert!(!out.contains(":: bia ::"), "{name}: the output names `::bia` despite `crate = \"::renamed\"`:\n{out}");
        assert!(!out.contains("compile_error"), "{name}: {out}");
    }
}

/// The inert attributes are gone from every expansion.
#[test]
fn inert_attributes_are_stripped() {
    for Case { name, expand, attr, item } in cases() {
        let out = expand(attr, item).to_string();
        for inert in ["# [field", "# [validate", "# [value", "# [error", "# [rpc"] {
            assert!(!out.contains(inert), "{name}: a `{inert}]` attribute was left in:\n{out}");
        }
    }
}

/// A misuse still re-emits the user's trait (attributes stripped), so impls of
/// it keep compiling and only the real error is reported.
#[test]
fn failed_service_still_emits_the_trait() {
    let out = expand(
        &crate::service::MACRO,
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
