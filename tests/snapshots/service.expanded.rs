/// The user service.
pub trait UserApi: Send + Sync + 'static {
    /// Creates a user.
    ///
    /// Operation `/user.v1.User/CreateUser`.
    fn create_user(
        &self,
        req: CreateUserRequest,
    ) -> impl ::core::future::Future<
        Output = bia::Result<CreateUserReply>,
    > + ::core::marker::Send;
    /// Operation `/user.v1.User/GetUser` (idempotent: clients may retry it).
    fn get_user(
        &self,
        req: GetUserRequest,
    ) -> impl ::core::future::Future<
        Output = bia::Result<GetUserReply>,
    > + ::core::marker::Send;
    /// Operation `/user.v1.User/ListUsers`.
    fn list_users(
        &self,
        req: ListUsersRequest,
    ) -> impl ::core::future::Future<
        Output = bia::Result<ListUsersReply>,
    > + ::core::marker::Send;
}
#[doc(hidden)]
#[macro_export]
macro_rules! __bia_proto_type_user_v1_User_is_defined_twice__rename_one_of_them {
    () => {};
}
const _: () = {
    #[unsafe(export_name = "__bia_proto_type_defined_twice.user.v1.User")]
    static __BIA_PROTO_NAME: u8 = 0;
};
///Operation names of [`UserApi`]: `/<package>.<Service>/<Method>`, the same on both transports, in logs, metrics and selectors.
#[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
pub struct UserApiOperation;
impl UserApiOperation {
    /// The proto service name, `package.Service`.
    pub const SERVICE: &'static str = "user.v1.User";
    ///`/user.v1.User/CreateUser`
    pub const CREATE_USER: &'static str = "/user.v1.User/CreateUser";
    ///`/user.v1.User/GetUser`
    pub const GET_USER: &'static str = "/user.v1.User/GetUser";
    ///`/user.v1.User/ListUsers`
    pub const LIST_USERS: &'static str = "/user.v1.User/ListUsers";
    /// Every operation, in declaration order.
    pub const ALL: &'static [&'static str] = &[
        "/user.v1.User/CreateUser",
        "/user.v1.User/GetUser",
        "/user.v1.User/ListUsers",
    ];
    /// The operations marked `#[rpc(idempotent)]`, in declaration order: sending one twice
    /// has the effect of sending it once, so a client may retry it. The client retry
    /// middleware takes this list (`bia::middleware::retry::Retry::new().idempotent(..)`);
    /// operations not listed are never retried. Empty when none is marked.
    pub const IDEMPOTENT: &'static [&'static str] = &["/user.v1.User/GetUser"];
}
///Object-safe twin of [`UserApi`]: every `T: UserApi` is a `DynUserApi`, and `Arc<dyn DynUserApi>` implements `UserApi`, so a local implementation, a remote client or a test double can stand behind one pointer. Only calls through the pointer box their future.
pub trait DynUserApi: ::core::marker::Send + ::core::marker::Sync + 'static {
    ///See the method of the same name on the service trait.
    fn create_user<'a>(
        &'a self,
        req: CreateUserRequest,
    ) -> ::core::pin::Pin<
        ::std::boxed::Box<
            dyn ::core::future::Future<
                Output = bia::Result<CreateUserReply>,
            > + ::core::marker::Send + 'a,
        >,
    >;
    ///See the method of the same name on the service trait.
    fn get_user<'a>(
        &'a self,
        req: GetUserRequest,
    ) -> ::core::pin::Pin<
        ::std::boxed::Box<
            dyn ::core::future::Future<
                Output = bia::Result<GetUserReply>,
            > + ::core::marker::Send + 'a,
        >,
    >;
    ///See the method of the same name on the service trait.
    fn list_users<'a>(
        &'a self,
        req: ListUsersRequest,
    ) -> ::core::pin::Pin<
        ::std::boxed::Box<
            dyn ::core::future::Future<
                Output = bia::Result<ListUsersReply>,
            > + ::core::marker::Send + 'a,
        >,
    >;
}
/**Serves a [`UserApi`] implementation over gRPC (a tonic `NamedService`, usable in any tonic router) and over HTTP/JSON ([`UserApiServer::into_router`] gives a plain `axum::Router`).

The clients of the same service are [`UserApiGrpcClient`] and [`UserApiHttpClient`].*/
pub struct UserApiServer<__T> {
    inner: ::std::sync::Arc<__T>,
    grpc: ::bia::__private::CallConfig,
    http: ::bia::__private::ServiceConfig,
}
impl<__T> ::core::clone::Clone for UserApiServer<__T> {
    fn clone(&self) -> Self {
        Self {
            inner: ::core::clone::Clone::clone(&self.inner),
            grpc: ::core::clone::Clone::clone(&self.grpc),
            http: ::core::clone::Clone::clone(&self.http),
        }
    }
}
impl<__T> ::core::fmt::Debug for UserApiServer<__T> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_struct(::core::stringify!(UserApiServer)).finish_non_exhaustive()
    }
}
impl<__T> UserApiServer<__T> {
    /// Serves `inner`.
    pub fn new(inner: __T) -> Self {
        Self::from_arc(::std::sync::Arc::new(inner))
    }
    /// Serves an implementation shared with other code.
    pub fn from_arc(inner: ::std::sync::Arc<__T>) -> Self {
        let mut http = <::bia::__private::ServiceConfig as ::core::default::Default>::default();
        http.snake_case = Self::SNAKE_CASE_JSON;
        Self {
            inner,
            grpc: ::core::default::Default::default(),
            http,
        }
    }
    /// The shared implementation.
    pub fn get_ref(&self) -> &__T {
        &self.inner
    }
    /// Largest accepted HTTP request body (default 4 MiB); larger bodies get 413.
    #[must_use]
    pub fn max_body_size(mut self, limit: usize) -> Self {
        self.http.max_body = limit;
        self
    }
    /// Largest part of a `multipart/form-data` HTTP body (default 4 MiB); larger
    /// parts get 413.
    #[must_use]
    pub fn max_part_size(mut self, limit: usize) -> Self {
        self.http.max_part = limit;
        self
    }
    /// Largest accepted gRPC request message (default 4 MiB).
    #[must_use]
    pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
        self.grpc.max_decoding_message_size = ::core::option::Option::Some(limit);
        self
    }
    /// Largest gRPC reply message (default unlimited).
    #[must_use]
    pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
        self.grpc.max_encoding_message_size = ::core::option::Option::Some(limit);
        self
    }
    /// Adds a middleware to this service's operations, on HTTP and gRPC
    /// alike (inside the server-wide middleware; the first added is the
    /// outermost).
    #[must_use]
    pub fn middleware(mut self, m: impl ::bia::middleware::Middleware) -> Self {
        ::bia::__private::add_service_middleware(&mut self.grpc, &mut self.http, m);
        self
    }
    /// How often a server stream sent as server-sent events sends a heartbeat
    /// comment while it has nothing else to send (default 15 s), so that proxies
    /// keep the connection open.
    #[must_use]
    pub fn sse_heartbeat(mut self, every: ::core::time::Duration) -> Self {
        self.http.sse_heartbeat = every;
        self
    }
    /// JSON replies with proto field names (`user_id`) instead of lowerCamelCase.
    #[must_use]
    pub fn snake_case_json(mut self, on: bool) -> Self {
        self.http.snake_case = on;
        self
    }
}
///A gRPC client of [`UserApi`]; it implements `UserApi`, so it stands wherever an implementation does.
#[derive(::core::fmt::Debug, ::core::clone::Clone)]
pub struct UserApiGrpcClient {
    inner: ::bia::__private::GrpcClient,
}
impl UserApiGrpcClient {
    /// Connects to `dst`: `http://127.0.0.1:9000`, or a balanced
    /// `direct:///host:port,host:port`.
    pub async fn connect(
        dst: impl ::core::convert::Into<::std::string::String>,
    ) -> ::core::result::Result<Self, ::bia::Error> {
        ::core::result::Result::Ok(Self {
            inner: ::bia::__private::GrpcClient::connect(dst).await?,
        })
    }
    /// A client that connects on its first call.
    pub fn connect_lazy(
        dst: impl ::core::convert::Into<::std::string::String>,
    ) -> ::core::result::Result<Self, ::bia::Error> {
        ::core::result::Result::Ok(Self {
            inner: ::bia::__private::GrpcClient::connect_lazy(dst)?,
        })
    }
    /// A client on an existing tonic channel.
    pub fn new(channel: ::bia::__private::grpc::Channel) -> Self {
        Self {
            inner: ::bia::__private::GrpcClient::new(channel),
        }
    }
    /// The encodings replies may come compressed with (default gzip and
    /// zstd; empty: uncompressed only); see `bia::transport::grpc::GrpcClient::accept_compression`.
    #[must_use]
    pub fn accept_compression(
        mut self,
        encodings: impl ::core::iter::IntoIterator<
            Item = ::bia::transport::grpc::CompressionEncoding,
        >,
    ) -> Self {
        self.inner = self.inner.accept_compression(encodings);
        self
    }
    /// Compresses every request message with `encoding` (default: none);
    /// see `bia::transport::grpc::GrpcClient::send_compression`.
    #[must_use]
    pub fn send_compression(
        mut self,
        encoding: impl ::core::convert::Into<
            ::core::option::Option<::bia::transport::grpc::CompressionEncoding>,
        >,
    ) -> Self {
        self.inner = self.inner.send_compression(encoding);
        self
    }
    /// Dials a target through a discovery (`discovery:///name`),
    /// balanced per call; see `bia::client::Dial`.
    pub async fn dial(
        dial: ::bia::client::Dial,
    ) -> ::core::result::Result<Self, ::bia::Error> {
        ::core::result::Result::Ok(Self {
            inner: ::bia::__private::GrpcClient::dial(dial).await?,
        })
    }
    /// Adds a client middleware (the first added is the outermost).
    #[must_use]
    pub fn middleware(mut self, m: impl ::bia::middleware::Middleware) -> Self {
        self.inner = self.inner.middleware(m);
        self
    }
}
///An HTTP/JSON client of [`UserApi`]: it builds paths, queries and bodies from the same `#[rpc]` rules the server binds, and rebuilds the server's `bia::Error`s. It implements `UserApi`.
#[derive(::core::fmt::Debug, ::core::clone::Clone)]
pub struct UserApiHttpClient {
    inner: ::bia::__private::HttpClient,
}
impl UserApiHttpClient {
    /// A client of the server at `base`, e.g. `http://127.0.0.1:8000`,
    /// or of a balanced `direct:///host:port,host:port`.
    pub fn new(
        base: impl ::core::convert::Into<::std::string::String>,
    ) -> ::core::result::Result<Self, ::bia::Error> {
        ::core::result::Result::Ok(Self {
            inner: ::bia::__private::HttpClient::new(base)?,
        })
    }
    /// Whether to ask for replies compressed with gzip, br or zstd (`Accept-Encoding`)
    /// and decompress them (default on); see `bia::transport::http::HttpClient::decompress`.
    #[must_use]
    pub fn decompress(mut self, on: bool) -> Self {
        self.inner = self.inner.decompress(on);
        self
    }
    /// Sends and receives protobuf instead of JSON where the body or reply is the whole
    /// message; see `bia::transport::http::HttpClient::protobuf`.
    #[must_use]
    pub fn protobuf(mut self, on: bool) -> Self {
        self.inner = self.inner.protobuf(on);
        self
    }
    /// Reads replies and errors through `envelope`, the one the server writes them
    /// with; see `bia::transport::http::HttpClient::envelope`.
    #[must_use]
    pub fn envelope(mut self, envelope: impl ::bia::transport::http::Envelope) -> Self {
        self.inner = self.inner.envelope(envelope);
        self
    }
    /// Dials a target through a discovery (`discovery:///name`),
    /// balanced per call; see `bia::client::Dial`.
    pub async fn dial(
        dial: ::bia::client::Dial,
    ) -> ::core::result::Result<Self, ::bia::Error> {
        ::core::result::Result::Ok(Self {
            inner: ::bia::__private::HttpClient::dial(dial).await?,
        })
    }
    /// Adds a client middleware (the first added is the outermost).
    #[must_use]
    pub fn middleware(mut self, m: impl ::bia::middleware::Middleware) -> Self {
        self.inner = self.inner.middleware(m);
        self
    }
}
const _: () = {
    static __ROUTE_CREATE_USER_0: ::bia::__private::Route = ::bia::__private::Route {
        operation: "/user.v1.User/CreateUser",
        method: "POST",
        axum_path: "/v1/user",
        template: &[::bia::__private::PathSeg::Lit("/v1/user")],
        body: ::bia::__private::BodyRule::All,
        response_body: ::core::option::Option::None,
        bound: &[],
    };
    static __ROUTE_GET_USER_0: ::bia::__private::Route = ::bia::__private::Route {
        operation: "/user.v1.User/GetUser",
        method: "GET",
        axum_path: "/v1/user/{p0}",
        template: &[
            ::bia::__private::PathSeg::Lit("/v1/user/"),
            ::bia::__private::PathSeg::Var {
                field: "id",
                pattern: &[::bia::__private::PatternSeg::Capture("p0")],
                slash: false,
            },
        ],
        body: ::bia::__private::BodyRule::None,
        response_body: ::core::option::Option::None,
        bound: &["id"],
    };
    static __ROUTE_LIST_USERS_0: ::bia::__private::Route = ::bia::__private::Route {
        operation: "/user.v1.User/ListUsers",
        method: "POST",
        axum_path: "/user.v1.User/ListUsers",
        template: &[::bia::__private::PathSeg::Lit("/user.v1.User/ListUsers")],
        body: ::bia::__private::BodyRule::All,
        response_body: ::core::option::Option::None,
        bound: &[],
    };
    const _: () = {
        #[allow(unused, clippy::no_effect_underscore_binding)]
        fn __check(__req: &CreateUserRequest, __rep: &CreateUserReply) {}
    };
    const _: () = {
        #[allow(unused, clippy::no_effect_underscore_binding)]
        fn __check(__req: &GetUserRequest, __rep: &GetUserReply) {
            let _ = &__req.id;
            const _: () = ::core::assert!(
                ::bia::__private::field_path_kind(< GetUserRequest as ::bia::Message >
                ::FIELDS, "id") != 2,
                "path parameter `id` names a repeated, map or message field; a path variable binds one scalar, enum or well-known value"
            );
        }
    };
    const _: () = {
        #[allow(unused, clippy::no_effect_underscore_binding)]
        fn __check(__req: &ListUsersRequest, __rep: &ListUsersReply) {}
    };
    impl<__T> UserApiServer<__T> {
        const SNAKE_CASE_JSON: bool = false;
    }
    impl<__T> ::bia::__private::EndStreams for UserApiServer<__T> {
        fn end_streams_with(&mut self, end: &::bia::__private::StreamsEnd) {
            self.grpc.streams_end = ::core::clone::Clone::clone(end);
            self.http.streams_end = ::core::clone::Clone::clone(end);
        }
    }
    impl<__T> ::bia::__private::grpc::ConfigureCalls for UserApiServer<__T> {
        fn call_config_mut(&mut self) -> &mut ::bia::__private::CallConfig {
            &mut self.grpc
        }
    }
    impl<__T> ::bia::__private::tonic::server::NamedService for UserApiServer<__T> {
        const NAME: &'static str = "user.v1.User";
    }
    impl<
        __T,
        __B,
    > ::bia::__private::tonic::codegen::Service<::bia::__private::http::Request<__B>>
    for UserApiServer<__T>
    where
        __T: UserApi + ::core::marker::Send + ::core::marker::Sync + 'static,
        __B: ::bia::__private::tonic::codegen::Body + ::core::marker::Send + 'static,
        __B::Error: ::core::convert::Into<::bia::__private::tonic::codegen::StdError>
            + ::core::marker::Send + 'static,
    {
        type Response = ::bia::__private::http::Response<
            ::bia::__private::tonic::body::Body,
        >;
        type Error = ::core::convert::Infallible;
        type Future = ::bia::__private::grpc::BoxFuture<Self::Response, Self::Error>;
        fn poll_ready(
            &mut self,
            _cx: &mut ::core::task::Context<'_>,
        ) -> ::core::task::Poll<::core::result::Result<(), Self::Error>> {
            ::core::task::Poll::Ready(::core::result::Result::Ok(()))
        }
        fn call(&mut self, req: ::bia::__private::http::Request<__B>) -> Self::Future {
            match req.uri().path() {
                "/user.v1.User/CreateUser" => {
                    let __inner = ::core::clone::Clone::clone(&self.inner);
                    ::bia::__private::grpc::unary::<
                        CreateUserRequest,
                        CreateUserReply,
                        _,
                        _,
                        _,
                    >(
                        &self.grpc,
                        "/user.v1.User/CreateUser",
                        req,
                        move |__msg: CreateUserRequest| async move {
                            <__T as UserApi>::create_user(&__inner, __msg)
                                .await
                                .map_err(::core::convert::Into::<::bia::Error>::into)
                        },
                    )
                }
                "/user.v1.User/GetUser" => {
                    let __inner = ::core::clone::Clone::clone(&self.inner);
                    ::bia::__private::grpc::unary::<
                        GetUserRequest,
                        GetUserReply,
                        _,
                        _,
                        _,
                    >(
                        &self.grpc,
                        "/user.v1.User/GetUser",
                        req,
                        move |__msg: GetUserRequest| async move {
                            <__T as UserApi>::get_user(&__inner, __msg)
                                .await
                                .map_err(::core::convert::Into::<::bia::Error>::into)
                        },
                    )
                }
                "/user.v1.User/ListUsers" => {
                    let __inner = ::core::clone::Clone::clone(&self.inner);
                    ::bia::__private::grpc::unary::<
                        ListUsersRequest,
                        ListUsersReply,
                        _,
                        _,
                        _,
                    >(
                        &self.grpc,
                        "/user.v1.User/ListUsers",
                        req,
                        move |__msg: ListUsersRequest| async move {
                            <__T as UserApi>::list_users(&__inner, __msg)
                                .await
                                .map_err(::core::convert::Into::<::bia::Error>::into)
                        },
                    )
                }
                _ => ::bia::__private::grpc::unimplemented(),
            }
        }
    }
    impl<__T> UserApiServer<__T>
    where
        __T: UserApi + ::core::marker::Send + ::core::marker::Sync + 'static,
    {
        /// The HTTP routes of every operation as a plain `axum::Router`.
        pub fn into_router(self) -> ::bia::__private::axum::Router {
            ::bia::__private::http_transport::IntoRouter::into_routes(self).0
        }
    }
    impl<__T> ::bia::__private::http_transport::IntoRouter for UserApiServer<__T>
    where
        __T: UserApi + ::core::marker::Send + ::core::marker::Sync + 'static,
    {
        fn into_router(self) -> ::bia::__private::axum::Router {
            UserApiServer::into_router(self)
        }
        fn into_routes(
            self,
        ) -> (
            ::bia::__private::axum::Router,
            ::core::option::Option<
                ::std::vec::Vec<::bia::__private::http_transport::FastRoute>,
            >,
        ) {
            let __router = ::bia::__private::axum::Router::new();
            #[allow(unused_mut)]
            let mut __fast = ::std::vec::Vec::new();
            let __router = {
                let (__filter, __route, __handler) = (
                    ::bia::__private::axum::routing::MethodFilter::POST,
                    &__ROUTE_CREATE_USER_0,
                    {
                        let __inner = ::core::clone::Clone::clone(&self.inner);
                        let __cfg = ::std::sync::Arc::new(
                            ::core::clone::Clone::clone(&self.http),
                        );
                        move |__req: ::bia::__private::axum::extract::Request| {
                            ::bia::__private::http_transport::unary::<
                                CreateUserRequest,
                                CreateUserReply,
                                _,
                                _,
                            >(
                                &__ROUTE_CREATE_USER_0,
                                __cfg,
                                __req,
                                move |__msg: CreateUserRequest| async move {
                                    <__T as UserApi>::create_user(&__inner, __msg)
                                        .await
                                        .map_err(::core::convert::Into::<::bia::Error>::into)
                                },
                            )
                        }
                    },
                );
                __fast
                    .push(
                        ::bia::__private::http_transport::fast_route(
                            __route,
                            ::core::clone::Clone::clone(&__handler),
                        ),
                    );
                let __method_router = ::bia::__private::axum::routing::on(
                    __filter,
                    __handler,
                );
                __router.route("/v1/user", __method_router)
            };
            let __router = {
                let (__filter, __route, __handler) = (
                    ::bia::__private::axum::routing::MethodFilter::GET,
                    &__ROUTE_GET_USER_0,
                    {
                        let __inner = ::core::clone::Clone::clone(&self.inner);
                        let __cfg = ::std::sync::Arc::new(
                            ::core::clone::Clone::clone(&self.http),
                        );
                        move |__req: ::bia::__private::axum::extract::Request| {
                            ::bia::__private::http_transport::unary::<
                                GetUserRequest,
                                GetUserReply,
                                _,
                                _,
                            >(
                                &__ROUTE_GET_USER_0,
                                __cfg,
                                __req,
                                move |__msg: GetUserRequest| async move {
                                    <__T as UserApi>::get_user(&__inner, __msg)
                                        .await
                                        .map_err(::core::convert::Into::<::bia::Error>::into)
                                },
                            )
                        }
                    },
                );
                __fast
                    .push(
                        ::bia::__private::http_transport::fast_route(
                            __route,
                            ::core::clone::Clone::clone(&__handler),
                        ),
                    );
                let __method_router = ::bia::__private::axum::routing::on(
                    __filter,
                    __handler,
                );
                __router.route("/v1/user/{p0}", __method_router)
            };
            let __router = {
                let (__filter, __route, __handler) = (
                    ::bia::__private::axum::routing::MethodFilter::POST,
                    &__ROUTE_LIST_USERS_0,
                    {
                        let __inner = ::core::clone::Clone::clone(&self.inner);
                        let __cfg = ::std::sync::Arc::new(
                            ::core::clone::Clone::clone(&self.http),
                        );
                        move |__req: ::bia::__private::axum::extract::Request| {
                            ::bia::__private::http_transport::unary::<
                                ListUsersRequest,
                                ListUsersReply,
                                _,
                                _,
                            >(
                                &__ROUTE_LIST_USERS_0,
                                __cfg,
                                __req,
                                move |__msg: ListUsersRequest| async move {
                                    <__T as UserApi>::list_users(&__inner, __msg)
                                        .await
                                        .map_err(::core::convert::Into::<::bia::Error>::into)
                                },
                            )
                        }
                    },
                );
                __fast
                    .push(
                        ::bia::__private::http_transport::fast_route(
                            __route,
                            ::core::clone::Clone::clone(&__handler),
                        ),
                    );
                let __method_router = ::bia::__private::axum::routing::on(
                    __filter,
                    __handler,
                );
                __router.route("/user.v1.User/ListUsers", __method_router)
            };
            (__router, ::core::option::Option::Some(__fast))
        }
    }
    impl<__T> ::bia::__private::DescribeService for UserApiServer<__T> {
        const SERVICE_NAME: &'static str = "user.v1.User";
        fn describe(b: &mut ::bia::__private::SchemaBuilder) {
            <CreateUserRequest as ::bia::Message>::describe(b);
            <CreateUserReply as ::bia::Message>::describe(b);
            <GetUserRequest as ::bia::Message>::describe(b);
            <GetUserReply as ::bia::Message>::describe(b);
            <ListUsersRequest as ::bia::Message>::describe(b);
            <ListUsersReply as ::bia::Message>::describe(b);
            b.add_service(::bia::__private::ServiceDef {
                package: "user.v1",
                name: "User",
                methods: ::std::vec![
                    ::bia::__private::MethodDef { name : "CreateUser", input : <
                    CreateUserRequest as ::bia::Message > ::FULL_NAME, output : <
                    CreateUserReply as ::bia::Message > ::FULL_NAME, client_streaming :
                    false, server_streaming : false, http :
                    ::std::vec![::bia::__private::HttpRule { method : "POST", path :
                    "/v1/user", body : "*", response_body : "" }], doc :
                    " Creates a user.", }, ::bia::__private::MethodDef { name :
                    "GetUser", input : < GetUserRequest as ::bia::Message > ::FULL_NAME,
                    output : < GetUserReply as ::bia::Message > ::FULL_NAME,
                    client_streaming : false, server_streaming : false, http :
                    ::std::vec![::bia::__private::HttpRule { method : "GET", path :
                    "/v1/user/{id}", body : "", response_body : "" }], doc : "", },
                    ::bia::__private::MethodDef { name : "ListUsers", input : <
                    ListUsersRequest as ::bia::Message > ::FULL_NAME, output : <
                    ListUsersReply as ::bia::Message > ::FULL_NAME, client_streaming :
                    false, server_streaming : false, http : ::std::vec![], doc : "", }
                ],
                doc: " The user service.",
                snake_case: false,
            });
        }
    }
    impl<__T> UserApiServer<__T> {
        /// The schema of this service: descriptors, `.proto` text, OpenAPI.
        pub fn schema() -> ::bia::schema::Schema {
            ::bia::schema::Schema::of::<Self>()
        }
    }
    impl UserApiGrpcClient {
        /// Creates a user.
        pub async fn create_user(
            &self,
            req: CreateUserRequest,
        ) -> ::core::result::Result<CreateUserReply, ::bia::Error> {
            let __inner = &self.inner;
            __inner
                .unary::<
                    CreateUserRequest,
                    CreateUserReply,
                >("/user.v1.User/CreateUser", req)
                .await
        }
        pub async fn get_user(
            &self,
            req: GetUserRequest,
        ) -> ::core::result::Result<GetUserReply, ::bia::Error> {
            let __inner = &self.inner;
            __inner
                .unary::<GetUserRequest, GetUserReply>("/user.v1.User/GetUser", req)
                .await
        }
        pub async fn list_users(
            &self,
            req: ListUsersRequest,
        ) -> ::core::result::Result<ListUsersReply, ::bia::Error> {
            let __inner = &self.inner;
            __inner
                .unary::<
                    ListUsersRequest,
                    ListUsersReply,
                >("/user.v1.User/ListUsers", req)
                .await
        }
    }
    impl UserApi for UserApiGrpcClient {
        fn create_user(
            &self,
            req: CreateUserRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<CreateUserReply>,
        > + ::core::marker::Send {
            UserApiGrpcClient::create_user(self, req)
        }
        fn get_user(
            &self,
            req: GetUserRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<GetUserReply>,
        > + ::core::marker::Send {
            UserApiGrpcClient::get_user(self, req)
        }
        fn list_users(
            &self,
            req: ListUsersRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<ListUsersReply>,
        > + ::core::marker::Send {
            UserApiGrpcClient::list_users(self, req)
        }
    }
    impl UserApiHttpClient {
        /// Creates a user.
        pub async fn create_user(
            &self,
            req: CreateUserRequest,
        ) -> ::core::result::Result<CreateUserReply, ::bia::Error> {
            let __inner = &self.inner;
            __inner
                .unary::<
                    CreateUserRequest,
                    CreateUserReply,
                >(&[&__ROUTE_CREATE_USER_0], &req)
                .await
        }
        pub async fn get_user(
            &self,
            req: GetUserRequest,
        ) -> ::core::result::Result<GetUserReply, ::bia::Error> {
            let __inner = &self.inner;
            __inner
                .unary::<GetUserRequest, GetUserReply>(&[&__ROUTE_GET_USER_0], &req)
                .await
        }
        pub async fn list_users(
            &self,
            req: ListUsersRequest,
        ) -> ::core::result::Result<ListUsersReply, ::bia::Error> {
            let __inner = &self.inner;
            __inner
                .unary::<
                    ListUsersRequest,
                    ListUsersReply,
                >(&[&__ROUTE_LIST_USERS_0], &req)
                .await
        }
    }
    impl UserApi for UserApiHttpClient {
        fn create_user(
            &self,
            req: CreateUserRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<CreateUserReply>,
        > + ::core::marker::Send {
            UserApiHttpClient::create_user(self, req)
        }
        fn get_user(
            &self,
            req: GetUserRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<GetUserReply>,
        > + ::core::marker::Send {
            UserApiHttpClient::get_user(self, req)
        }
        fn list_users(
            &self,
            req: ListUsersRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<ListUsersReply>,
        > + ::core::marker::Send {
            UserApiHttpClient::list_users(self, req)
        }
    }
    impl<__T: UserApi + ::core::marker::Send + ::core::marker::Sync + 'static> DynUserApi
    for __T {
        fn create_user<'a>(
            &'a self,
            req: CreateUserRequest,
        ) -> ::core::pin::Pin<
            ::std::boxed::Box<
                dyn ::core::future::Future<
                    Output = bia::Result<CreateUserReply>,
                > + ::core::marker::Send + 'a,
            >,
        > {
            ::std::boxed::Box::pin(<__T as UserApi>::create_user(self, req))
        }
        fn get_user<'a>(
            &'a self,
            req: GetUserRequest,
        ) -> ::core::pin::Pin<
            ::std::boxed::Box<
                dyn ::core::future::Future<
                    Output = bia::Result<GetUserReply>,
                > + ::core::marker::Send + 'a,
            >,
        > {
            ::std::boxed::Box::pin(<__T as UserApi>::get_user(self, req))
        }
        fn list_users<'a>(
            &'a self,
            req: ListUsersRequest,
        ) -> ::core::pin::Pin<
            ::std::boxed::Box<
                dyn ::core::future::Future<
                    Output = bia::Result<ListUsersReply>,
                > + ::core::marker::Send + 'a,
            >,
        > {
            ::std::boxed::Box::pin(<__T as UserApi>::list_users(self, req))
        }
    }
    impl UserApi for ::std::sync::Arc<dyn DynUserApi> {
        fn create_user(
            &self,
            req: CreateUserRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<CreateUserReply>,
        > + ::core::marker::Send {
            <dyn DynUserApi as DynUserApi>::create_user(&**self, req)
        }
        fn get_user(
            &self,
            req: GetUserRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<GetUserReply>,
        > + ::core::marker::Send {
            <dyn DynUserApi as DynUserApi>::get_user(&**self, req)
        }
        fn list_users(
            &self,
            req: ListUsersRequest,
        ) -> impl ::core::future::Future<
            Output = bia::Result<ListUsersReply>,
        > + ::core::marker::Send {
            <dyn DynUserApi as DynUserApi>::list_users(&**self, req)
        }
    }
};
