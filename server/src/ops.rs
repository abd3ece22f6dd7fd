//! Command-line operations for bootstrapping: create an organisation (with its first
//! location) and create a user with roles. The use cases live in `services::provisioning`;
//! `services::demo` seeds the demo organisation.

pub use app::services::provisioning::{
    create_organisation, create_user, CreateOrganisation, CreateUser,
};
