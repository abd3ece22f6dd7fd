//! The organisation's vocabulary: roles and where they are granted, the kinds of
//! taxonomy entries an organisation keeps, and the starter taxonomy each industry
//! gets so a new organisation can log its first recovery in minutes.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::recovery::{CauseKind, Channel, RemedyType};
use super::text::{char_count, clean_line, slug_enum};

/// Why an organisation setting could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum OrgError {
    #[error("Unknown role \"{0}\": use staff, supervisor, manager, leader or admin")]
    UnknownRole(String),
    #[error("Unknown list \"{0}\": use category, touchpoint, remedy, cause or channel")]
    UnknownTaxonomyKind(String),
    #[error("Unknown industry \"{0}\": use hotel, restaurant, retail or contact-centre")]
    UnknownIndustry(String),
    #[error("Enter a name")]
    LabelRequired,
    #[error("Keep the name to {max} characters")]
    LabelTooLong { max: usize },
    #[error("Use at least one letter or digit in the name")]
    LabelWithoutLetters,
}

slug_enum! {
    /// What a person may do. Ordered from least to most authority, so
    /// `role >= Role::Supervisor` reads as "at least a supervisor".
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        Staff = "staff", "Staff";
        Supervisor = "supervisor", "Supervisor";
        Manager = "manager", "Manager";
        Leader = "leader", "Leadership";
        Admin = "admin", "Admin";
    }
    unknown(text) -> OrgError { OrgError::UnknownRole(text) }
}

/// A role held by a person, at one location or (None) across the organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub location_id: Option<i64>,
}

impl RoleGrant {
    /// True when this grant gives at least `role` at `location_id`; an
    /// organisation-wide grant covers every location.
    pub fn allows(&self, role: Role, location_id: i64) -> bool {
        self.role >= role && self.location_id.is_none_or(|id| id == location_id)
    }
}

slug_enum! {
    /// The lists an organisation keeps for recoveries.
    pub enum TaxonomyKind {
        Category = "category", "Category";
        Touchpoint = "touchpoint", "Touchpoint";
        Remedy = "remedy", "Remedy";
        Cause = "cause", "Cause";
        Channel = "channel", "Channel";
    }
    unknown(text) -> OrgError { OrgError::UnknownTaxonomyKind(text) }
}

slug_enum! {
    /// Picks the starter taxonomy for a new organisation.
    pub enum Industry {
        Hotel = "hotel", "Hotel";
        Restaurant = "restaurant", "Restaurant";
        Retail = "retail", "Retail";
        ContactCentre = "contact-centre", "Contact centre";
    }
    unknown(text) -> OrgError { OrgError::UnknownIndustry(text) }
}

/// One entry of an organisation's taxonomy: a stable slug and a label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaxonomyEntry {
    pub kind: TaxonomyKind,
    /// Slug such as "room-not-ready"; stored on recoveries, so it never changes.
    pub code: String,
    pub label: String,
}

/// Longest label an admin may give a taxonomy entry; it has to fit a tablet button.
pub const MAX_LABEL_CHARS: usize = 60;

impl TaxonomyEntry {
    /// An entry an admin adds: the label is cleaned and the code made from it.
    pub fn new(kind: TaxonomyKind, label: &str) -> Result<TaxonomyEntry, OrgError> {
        let label = clean_line(label);
        if label.is_empty() {
            return Err(OrgError::LabelRequired);
        }
        if char_count(&label) > MAX_LABEL_CHARS {
            return Err(OrgError::LabelTooLong {
                max: MAX_LABEL_CHARS,
            });
        }
        let code = slugify(&label);
        if code.is_empty() {
            return Err(OrgError::LabelWithoutLetters);
        }
        Ok(TaxonomyEntry { kind, code, label })
    }

    fn fixed(kind: TaxonomyKind, code: &str, label: &str) -> TaxonomyEntry {
        TaxonomyEntry {
            kind,
            code: code.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// Turns a label into a slug: lower case letters and digits (any script), with
/// single dashes between words. "F&B: order wrong!" → "f-b-order-wrong".
/// Empty when the label has no letters or digits at all.
pub fn slugify(label: &str) -> String {
    let mut slug = String::with_capacity(label.len());
    let mut dash_pending = false;
    for c in label.chars() {
        if c.is_alphanumeric() {
            if dash_pending && !slug.is_empty() {
                slug.push('-');
            }
            dash_pending = false;
            slug.extend(c.to_lowercase());
        } else {
            dash_pending = true;
        }
    }
    slug
}

type Pairs = &'static [(&'static str, &'static str)];

const HOTEL_CATEGORIES: Pairs = &[
    ("room-not-ready", "Room not ready"),
    ("noise", "Noise"),
    ("housekeeping-miss", "Housekeeping miss"),
    ("billing-error", "Billing error"),
    ("slow-check-in", "Slow check-in"),
    ("maintenance", "Maintenance issue"),
    ("fnb-order-wrong", "F&B order wrong"),
    ("fnb-slow-service", "F&B slow service"),
    ("reservation-error", "Reservation error"),
    ("amenity-missing", "Amenity missing"),
    ("wi-fi", "Wi-Fi"),
    ("staff-attitude", "Staff attitude"),
];
const HOTEL_TOUCHPOINTS: Pairs = &[
    ("front-desk", "Front desk"),
    ("housekeeping", "Housekeeping"),
    ("restaurant", "Restaurant"),
    ("bar", "Bar"),
    ("room-service", "Room service"),
    ("concierge", "Concierge"),
    ("spa", "Spa"),
    ("valet", "Valet"),
];

const RESTAURANT_CATEGORIES: Pairs = &[
    ("long-wait-for-table", "Long wait for a table"),
    ("order-wrong", "Order wrong"),
    ("food-quality", "Food quality"),
    ("food-cold", "Food cold"),
    ("slow-service", "Slow service"),
    ("foreign-object", "Foreign object in food"),
    ("allergen-concern", "Allergen concern"),
    ("billing-error", "Billing error"),
    ("reservation-error", "Reservation error"),
    ("cleanliness", "Cleanliness"),
    ("staff-attitude", "Staff attitude"),
];
const RESTAURANT_TOUCHPOINTS: Pairs = &[
    ("host-stand", "Host stand"),
    ("dining-room", "Dining room"),
    ("bar", "Bar"),
    ("kitchen", "Kitchen"),
    ("takeaway-counter", "Takeaway counter"),
    ("delivery", "Delivery"),
    ("reservations", "Reservations"),
];

const RETAIL_CATEGORIES: Pairs = &[
    ("out-of-stock", "Out of stock"),
    ("price-mismatch", "Price mismatch"),
    ("faulty-product", "Faulty product"),
    ("long-queue", "Long queue"),
    ("return-refused", "Return refused"),
    ("delivery-late", "Delivery late"),
    ("order-incomplete", "Order incomplete"),
    ("promotion-not-applied", "Promotion not applied"),
    ("damaged-packaging", "Damaged packaging"),
    ("staff-attitude", "Staff attitude"),
];
const RETAIL_TOUCHPOINTS: Pairs = &[
    ("checkout", "Checkout"),
    ("shop-floor", "Shop floor"),
    ("fitting-rooms", "Fitting rooms"),
    ("customer-service-desk", "Customer service desk"),
    ("click-and-collect", "Click and collect"),
    ("home-delivery", "Home delivery"),
    ("online-shop", "Online shop"),
];

const CONTACT_CENTRE_CATEGORIES: Pairs = &[
    ("long-hold-time", "Long hold time"),
    ("dropped-call", "Dropped call"),
    ("wrong-information", "Wrong information"),
    ("repeat-contact", "Repeat contact"),
    ("billing-error", "Billing error"),
    ("promised-callback-missed", "Promised callback missed"),
    ("order-problem", "Order problem"),
    ("account-access", "Account access"),
    ("transferred-too-often", "Transferred too often"),
    ("staff-attitude", "Staff attitude"),
];
const CONTACT_CENTRE_TOUCHPOINTS: Pairs = &[
    ("ivr", "Phone menu (IVR)"),
    ("first-line", "First line"),
    ("second-line", "Second line"),
    ("billing-team", "Billing team"),
    ("technical-support", "Technical support"),
    ("retentions", "Retentions"),
    ("back-office", "Back office"),
];

/// The starter taxonomy for an industry. Categories and touchpoints differ per
/// industry; remedies, causes and channels are the product's fixed lists (their
/// codes are exactly the slugs the recovery form accepts), the same everywhere.
pub fn default_taxonomy(industry: Industry) -> Vec<TaxonomyEntry> {
    let (categories, touchpoints) = match industry {
        Industry::Hotel => (HOTEL_CATEGORIES, HOTEL_TOUCHPOINTS),
        Industry::Restaurant => (RESTAURANT_CATEGORIES, RESTAURANT_TOUCHPOINTS),
        Industry::Retail => (RETAIL_CATEGORIES, RETAIL_TOUCHPOINTS),
        Industry::ContactCentre => (CONTACT_CENTRE_CATEGORIES, CONTACT_CENTRE_TOUCHPOINTS),
    };
    let fixed = |kind, pairs: Pairs| {
        pairs
            .iter()
            .map(move |(code, label)| TaxonomyEntry::fixed(kind, code, label))
    };
    let mut entries: Vec<TaxonomyEntry> = fixed(TaxonomyKind::Category, categories)
        .chain(fixed(TaxonomyKind::Touchpoint, touchpoints))
        .collect();
    entries.extend(
        RemedyType::ALL
            .iter()
            .map(|r| TaxonomyEntry::fixed(TaxonomyKind::Remedy, r.as_str(), r.label())),
    );
    entries.extend(
        CauseKind::ALL
            .iter()
            .map(|c| TaxonomyEntry::fixed(TaxonomyKind::Cause, c.as_str(), c.label())),
    );
    entries.extend(
        Channel::ALL
            .iter()
            .map(|c| TaxonomyEntry::fixed(TaxonomyKind::Channel, c.as_str(), c.label())),
    );
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn codes(entries: &[TaxonomyEntry], kind: TaxonomyKind) -> Vec<&str> {
        entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.code.as_str())
            .collect()
    }

    #[test]
    fn roles_read_back_from_their_slugs() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(*role));
        }
        assert_eq!(Role::parse(" Supervisor "), Ok(Role::Supervisor));
        assert_eq!(Role::Leader.as_str(), "leader");
    }

    #[test]
    fn an_unknown_role_is_refused_with_the_choices() {
        let error = Role::parse("boss").unwrap_err();
        assert_eq!(error, OrgError::UnknownRole("boss".into()));
        assert!(error.to_string().contains("supervisor"));
    }

    #[test]
    fn roles_are_ordered_by_authority() {
        assert!(Role::Staff < Role::Supervisor);
        assert!(Role::Supervisor < Role::Manager);
        assert!(Role::Manager < Role::Leader);
        assert!(Role::Leader < Role::Admin);
        let mut sorted = Role::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Role::ALL);
    }

    #[test]
    fn a_location_grant_covers_only_its_location_and_an_organisation_grant_covers_all() {
        let local = RoleGrant {
            role: Role::Supervisor,
            location_id: Some(7),
        };
        assert!(local.allows(Role::Supervisor, 7));
        assert!(local.allows(Role::Staff, 7));
        assert!(!local.allows(Role::Supervisor, 8));
        assert!(!local.allows(Role::Manager, 7));
        let everywhere = RoleGrant {
            role: Role::Admin,
            location_id: None,
        };
        assert!(everywhere.allows(Role::Supervisor, 8));
    }

    #[test]
    fn taxonomy_kinds_and_industries_read_back_from_their_slugs() {
        for kind in TaxonomyKind::ALL {
            assert_eq!(TaxonomyKind::parse(kind.as_str()), Ok(*kind));
        }
        for industry in Industry::ALL {
            assert_eq!(Industry::parse(industry.as_str()), Ok(*industry));
        }
        assert_eq!(
            Industry::parse("Contact centre"),
            Ok(Industry::ContactCentre)
        );
        assert!(Industry::parse("bank").is_err());
        assert!(TaxonomyKind::parse("colour").is_err());
    }

    #[test]
    fn a_label_becomes_a_slug_of_lower_case_words_joined_by_dashes() {
        assert_eq!(slugify("Room not ready"), "room-not-ready");
        assert_eq!(slugify("  F&B: order  wrong! "), "f-b-order-wrong");
        assert_eq!(slugify("Wi-Fi"), "wi-fi");
        assert_eq!(slugify("Café Crème"), "café-crème");
        assert_eq!(slugify("—!"), "");
    }

    #[test]
    fn an_admin_added_entry_gets_a_code_from_its_label() {
        let entry =
            TaxonomyEntry::new(TaxonomyKind::Category, "  Pool too cold ").expect("valid label");
        assert_eq!(entry.code, "pool-too-cold");
        assert_eq!(entry.label, "Pool too cold");
    }

    #[test]
    fn an_admin_added_entry_needs_a_readable_label_of_sensible_length() {
        assert_eq!(
            TaxonomyEntry::new(TaxonomyKind::Category, " \t"),
            Err(OrgError::LabelRequired)
        );
        assert_eq!(
            TaxonomyEntry::new(TaxonomyKind::Category, "!!!"),
            Err(OrgError::LabelWithoutLetters)
        );
        assert_eq!(
            TaxonomyEntry::new(TaxonomyKind::Category, &"x".repeat(61)),
            Err(OrgError::LabelTooLong { max: 60 })
        );
        assert!(TaxonomyEntry::new(TaxonomyKind::Category, &"x".repeat(60)).is_ok());
    }

    #[test]
    fn every_industry_starts_with_a_realistic_taxonomy() {
        for industry in Industry::ALL {
            let entries = default_taxonomy(*industry);
            let categories = codes(&entries, TaxonomyKind::Category).len();
            let touchpoints = codes(&entries, TaxonomyKind::Touchpoint).len();
            assert!((8..=12).contains(&categories), "{industry}: {categories}");
            assert!((6..=8).contains(&touchpoints), "{industry}: {touchpoints}");
        }
    }

    #[test]
    fn the_hotel_taxonomy_has_the_usual_hotel_failures_and_departments() {
        let entries = default_taxonomy(Industry::Hotel);
        let categories = codes(&entries, TaxonomyKind::Category);
        for code in [
            "room-not-ready",
            "noise",
            "billing-error",
            "wi-fi",
            "staff-attitude",
        ] {
            assert!(categories.contains(&code), "{code}");
        }
        let touchpoints = codes(&entries, TaxonomyKind::Touchpoint);
        for code in ["front-desk", "housekeeping", "room-service", "valet"] {
            assert!(touchpoints.contains(&code), "{code}");
        }
    }

    #[test]
    fn remedies_causes_and_channels_are_the_products_lists_in_every_industry() {
        for industry in Industry::ALL {
            let entries = default_taxonomy(*industry);
            assert_eq!(
                codes(&entries, TaxonomyKind::Remedy),
                [
                    "refund",
                    "discount",
                    "complimentary-item",
                    "upgrade",
                    "amenity",
                    "waived-fee",
                    "fix-or-apology",
                    "other"
                ]
            );
            assert_eq!(
                codes(&entries, TaxonomyKind::Cause),
                [
                    "process",
                    "people",
                    "product",
                    "policy",
                    "system",
                    "supplier",
                    "customer-variability"
                ]
            );
            assert_eq!(
                codes(&entries, TaxonomyKind::Channel),
                ["in-person", "phone", "email", "chat", "social"]
            );
        }
    }

    #[test]
    fn default_codes_are_unique_slugs_within_each_list() {
        for industry in Industry::ALL {
            let entries = default_taxonomy(*industry);
            for kind in TaxonomyKind::ALL {
                let list = codes(&entries, *kind);
                let unique: HashSet<&str> = list.iter().copied().collect();
                assert_eq!(unique.len(), list.len(), "{industry} {kind}");
                for code in list {
                    assert_eq!(slugify(code), code, "{code} is not a slug");
                }
            }
            assert!(entries.iter().all(|e| !e.label.trim().is_empty()));
        }
    }
}
