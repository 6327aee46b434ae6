use std::collections::HashMap;

#[bia::message(package = "ui.v1")]
pub struct Key {
    pub id: String,
}

#[bia::message(package = "ui.v1")]
pub struct Index {
    pub entries: HashMap<Key, String>,
}

fn main() {}
