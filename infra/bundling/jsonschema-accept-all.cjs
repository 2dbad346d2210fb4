/**
 * Stands in for the `jsonschema` package in deployed function bundles (infra/bundling.ts aliases it).
 * Its one user there is ElectroDB, which validates every entity model against its JSON schema when the
 * entity is constructed: for the 54 entities of shared/store, about 110 ms of each cold start, spent
 * checking models that are constants of the code. Tests, the local stack and the CDK app load the real
 * package, so a malformed model still fails there (test/unit/store-models.test.ts); a bundle accepts the
 * models it was built with. Only the surface ElectroDB uses is here: `new Validator()`, `addSchema`,
 * `validate(...).errors` and `Validator.prototype.customFormats`.
 */
class Validator {
  addSchema() {}

  validate() {
    return { valid: true, errors: [] };
  }
}
Validator.prototype.customFormats = {};

module.exports = { Validator };
