//! Scenarios: the file format, loading, execution against a client, grading, and profiles.

mod bucket;
pub mod build;
pub mod catalogue;
pub mod check;
pub mod deviation;
pub mod draft;
pub mod exec;
pub mod grade;
pub mod judge;
pub mod keys_env;
pub mod load;
pub mod model;
mod oracles;
mod payload;
pub mod profile;
pub mod runner;
pub mod schema;
pub mod scrub;
pub mod secrets;
pub mod security;
mod transcript;
pub mod vars;

pub use self::load::{LoadedScenario, load_dir};
pub use self::model::Scenario;
pub use self::profile::Profile;
