// node validate.mjs FILE...: each OpenAPI document checked against the OpenAPI Initiative's
// schema for its version, its $refs resolved. Prints each verdict; exits 1 if any is invalid.
import { Validator } from "@seriousme/openapi-schema-validator";

let failed = false;
for (const file of process.argv.slice(2)) {
  const validator = new Validator();
  const result = await validator.validate(file);
  if (!result.valid) {
    failed = true;
    console.log(`${file}: INVALID`);
    console.log(JSON.stringify(result.errors, null, 2));
    continue;
  }
  validator.resolveRefs();  // throws on a $ref that leads nowhere
  console.log(`${file}: valid OpenAPI ${validator.version}`);
}
process.exit(failed ? 1 : 0);
