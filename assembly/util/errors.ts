/**
 * Every message the SDK itself logs, in one place (AssemblyScript std `util/error.ts` convention: compact,
 * reused strings keep static data small). Tests assert on these texts, so change them deliberately.
 */

/**
 * Prefix of the line logged at CRITICAL before an abort traps. Inlined (a static string at its use), because
 * an abort can happen before the module's globals are initialized.
 */
// @ts-ignore: decorator
@inline export const E_ABORT = "abort: ";
/** Logged by a root context whose `plugin_root_id` matches no registered factory (then onVmStart fails). */
export const E_NO_ROOT_FACTORY = "no root context is registered for root_id ";
/** Completes {@link E_NO_ROOT_FACTORY}: lists what is registered. */
export const E_REGISTERED_ROOT_IDS = "; registered root ids: ";
/** Logged (debug) when a callout answer arrives for a context that was deleted meanwhile. */
export const E_CALLOUT_FOR_DELETED_CONTEXT = "dropping callout response for deleted context ";
