use std::collections::BTreeMap;

#[bia::message(package = "ui.v1")]
pub struct Prices {
    pub by_weight: BTreeMap<f64, String>,
}

fn main() {}
