//! The `catalog.v1.Catalog` test service: what the `Library`, `Things` and
//! `Counter` services leave out of the OpenAPI document's rules: custom
//! verbs, `#[validate(..)]` rules, a required oneof, recursion through a
//! box, documented fields and errors, and snake_case JSON output.

use std::collections::HashMap;

/// A product of the catalog.
///
/// Products nest: a bundle holds other products.
#[bia::message(package = "catalog.v1")]
pub struct Product {
    /// `products/{id}`.
    #[validate(required, pattern = "^products/[a-z0-9-]+$")]
    pub name: String,
    /// What a person reads; 1 to 40 characters.
    #[validate(length(min = 1, max = 40))]
    pub display_name: String,
    /// Whom to write to about it.
    #[validate(email)]
    pub contact_email: String,
    /// The price in cents.
    #[validate(range(min = 0, max = 1000000))]
    pub price_cents: i32,
    /// A discount, strictly between 0 and 1.
    #[validate(range(gt = 0.0, lt = 1.0))]
    pub discount: Option<f64>,
    /// Stock kept, as a 64-bit number.
    #[validate(range(min = 0))]
    pub stock: i64,
    /// Up to 5 labels of 1 to 10 lowercase letters.
    #[validate(length(max = 5), each(length(min = 1, max = 10), pattern = "^[a-z]+$"))]
    pub labels: Vec<String>,
    /// Attributes by name.
    #[validate(length(max = 8))]
    pub attributes: HashMap<String, String>,
    /// A serial number (a bound larger than an `i32`).
    #[validate(range(min = 1, max = 99999999999))]
    pub serial: u64,
    /// A bundle's parts (recursion through a box).
    pub parent: Option<Box<Product>>,
    /// How it ships: exactly one way.
    #[field(oneof)]
    #[validate(required)]
    pub shipping: Option<Shipping>,
    /// A thumbnail, at most 64 bytes.
    #[validate(length(max = 64))]
    pub thumbnail: Vec<u8>,
}

/// How a product ships.
#[bia::oneof]
pub enum Shipping {
    /// Sent by post to this address.
    #[field(tag = 20)]
    Post(String),
    /// Picked up in a store.
    #[field(tag = 21)]
    Pickup(bool),
}

#[bia::message(package = "catalog.v1")]
pub struct ProductRequest {
    /// `products/{id}`.
    pub name: String,
}

#[bia::message(package = "catalog.v1")]
pub struct SearchRequest {
    /// Words to look for.
    pub query: String,
    /// Only these labels.
    pub labels: Vec<String>,
    /// At most this many.
    pub limit: Option<u32>,
}

#[bia::message(package = "catalog.v1")]
pub struct SearchReply {
    pub products: Vec<Product>,
}

/// Errors of the catalog.
#[bia::errors(domain = "catalog.v1")]
pub enum CatalogError {
    /// No product has this name.
    #[error(code = 404)]
    ProductNotFound,
    /// A product of this name was deleted: undelete it instead.
    #[error(code = 409)]
    ProductDeleted,
}

/// The catalog of products.
///
/// It answers in snake_case.
#[bia::service(package = "catalog.v1", json = "snake_case")]
pub trait Catalog: Send + Sync + 'static {
    /// Creates or replaces a product.
    ///
    /// The product's `name` says which.
    #[rpc(put = "/v1/<name=products/*>", body = "*")]
    async fn put_product(&self, req: Product) -> bia::Result<Product>;

    /// Brings a deleted product back (a custom verb).
    #[rpc(post = "/v1/<name=products/*>:undelete")]
    async fn undelete_product(&self, req: ProductRequest) -> bia::Result<Product>;

    /// Finds products (query parameters, a custom verb after literal text).
    #[rpc(get = "/v1/products:search")]
    async fn search(&self, req: SearchRequest) -> bia::Result<SearchReply>;
}

/// A catalog that keeps products in memory.
#[derive(Debug, Default)]
pub struct MemoryCatalog {
    products: std::sync::Mutex<HashMap<String, Product>>,
}

impl Catalog for MemoryCatalog {
    async fn put_product(&self, req: Product) -> bia::Result<Product> {
        self.products.lock().expect("lock").insert(req.name.clone(), req.clone());
        Ok(req)
    }

    async fn undelete_product(&self, req: ProductRequest) -> bia::Result<Product> {
        match self.products.lock().expect("lock").get(&req.name) {
            Some(p) => Ok(p.clone()),
            None => Err(CatalogError::product_not_found(format_args!("no product {}", req.name))),
        }
    }

    async fn search(&self, req: SearchRequest) -> bia::Result<SearchReply> {
        let limit = req.limit.unwrap_or(10) as usize;
        let products = self.products.lock().expect("lock");
        let mut found: Vec<Product> = products
            .values()
            .filter(|p| p.display_name.contains(&req.query))
            .filter(|p| req.labels.iter().all(|l| p.labels.contains(l)))
            .cloned()
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found.truncate(limit);
        Ok(SearchReply { products: found })
    }
}
