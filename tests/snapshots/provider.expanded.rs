/// Provides the repository.
pub async fn new_user_repo(
    conf: &Bootstrap,
    pool: Arc<Pool>,
    metrics: Metrics,
) -> bia::Result<(SqlUserRepo, Cleanup)> {
    SqlUserRepo::connect(conf, pool, metrics).await
}
#[doc(hidden)]
const _: () = {
    #[allow(non_camel_case_types, dead_code)]
    pub struct new_user_repo {}
    impl ::bia::wire::ProvidedBy<new_user_repo> for dyn UserRepo {}
    #[allow(dead_code, clippy::all)]
    fn __bia_checks() {
        use ::bia::__private::wire::{ViaExternal as _, ViaProvided as _};
        (&&::bia::__private::wire::Need::<Bootstrap>::new()).need().done();
        (&&::bia::__private::wire::Need::<Pool>::new()).need().done();
        (&&::bia::__private::wire::Need::<Metrics>::new()).need().done();
        ::bia::__private::wire::one_provider_per_type::<dyn UserRepo, _>();
    }
    fn __bia_build(
        __bia_scope: &::bia::__private::wire::Scope,
    ) -> ::bia::__private::wire::BuildFuture<'_> {
        ::std::boxed::Box::pin(async move {
            let __bia_in0 = __bia_scope.shared::<Bootstrap>()?;
            let __bia_in1 = __bia_scope.shared::<Pool>()?;
            let __bia_in2 = __bia_scope.take::<Metrics>()?;
            let __bia_out = new_user_repo(&*__bia_in0, __bia_in1, __bia_in2).await;
            let __bia_out = match __bia_out {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(e) => {
                    return ::core::result::Result::Err(
                        ::bia::__private::wire::provider_error(e),
                    );
                }
            };
            let (__bia_value, __bia_cleanup) = __bia_out;
            let __bia_cleanup = ::core::option::Option::Some(__bia_cleanup);
            ::core::result::Result::Ok({
                let __bia_value: ::std::sync::Arc<dyn UserRepo> = ::std::sync::Arc::new(
                    __bia_value,
                );
                ::bia::__private::wire::Built::shared::<
                    dyn UserRepo,
                >(__bia_value, __bia_cleanup)
            })
        })
    }
    ::bia::__private::inventory::submit! {
        ::bia::__private::wire::Provider { name : "new_user_repo", module :
        ::core::module_path!(), file : ::core::file!(), line : ::core::line!(), kind :
        ::bia::__private::wire::Kind::Provider, output :
        ::bia::__private::wire::Key::of:: < dyn UserRepo > (), deps : &
        [::bia::__private::wire::Dep { param : "conf", key :
        ::bia::__private::wire::Key::of:: < Bootstrap > (), by :
        ::bia::__private::wire::By::Ref }, ::bia::__private::wire::Dep { param : "pool",
        key : ::bia::__private::wire::Key::of:: < Pool > (), by :
        ::bia::__private::wire::By::Arc }, ::bia::__private::wire::Dep { param :
        "metrics", key : ::bia::__private::wire::Key::of:: < Metrics > (), by :
        ::bia::__private::wire::By::Value }], build :
        ::core::option::Option::Some(__bia_build), }
    }
};
