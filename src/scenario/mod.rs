//! Scenarios: the file format, loading, execution against a client, grading, and profiles.

pub mod build;
pub mod catalogue;
pub mod exec;
pub mod grade;
pub mod load;
pub mod model;
pub mod profile;
pub mod runner;
pub mod schema;
mod transcript;
pub mod vars;

pub use self::load::{LoadedScenario, load_dir};
pub use self::model::Scenario;
pub use self::profile::Profile;
