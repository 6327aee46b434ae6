mod people {
    #[bia::message(package = "ui.v1")]
    pub struct User {
        pub id: String,
    }
}

mod accounts {
    #[bia::message(package = "ui.v1")]
    pub struct User {
        pub name: String,
    }
}

fn main() {}
