"""Access for a bureau deployment: who a signed-in person is, what their role may do, and the data they
may hold. Checked where data leaves dip_model for the user interface: pages receive the filtered views.

    roles = load_roles("roles.yaml")
    role = roles.resolve(email, claims)                  # None: refused (roles.refusal says why)
    user = User(email, name, role)                       # or User.local() when no sign-in is configured
    require(user, "import")                              # AccessDenied with a Message
    res = visible_results(full_results, user)            # only what the role permits

Rights (can / require; "own" = for the user's own hospital only, the filtered views enforce it):

    action            bureau   hospital   viewer
    see_city_rows     yes      -          -         every hospital's rows (case-level and their tables)
    see_cases         yes      own        -         case rows, traces, statements, hospital pages
    import            yes      -          -
    publish           yes      -          -         publish / unpublish a scenario
    read_audit        yes      -          -         read and export the audit trail
    export            yes      own        -         downloads, workbooks, reports
    manage_datasets   yes      -          -         rename / delete stored datasets
    save_scenario     yes      yes        -         save own scenarios (the bureau: any)
    present           yes      yes        yes       published scenarios, the presentation mode

Scenarios (dip_model.access.scenarios): a user sees their own and the published ones, the bureau all; only
the owner or the bureau may rename, delete or overwrite. The single-user default (User.local()) is the bureau
with owner "", so an app without sign-in behaves as before.

Modules: roles (Role, User, RoleMap and the roles file), rights (the table above), views (visible_dataset,
visible_results, visible_hospital_ids, and the results of hospital analyses), scenarios (ownership)."""
from .rights import ACTIONS, RIGHTS, AccessDenied, can, check_hospital, may_see_hospital, require
from .roles import BUREAU, KINDS, Role, RoleMap, RolesError, User, load_roles, parse_roles
from .scenarios import can_edit_scenario, can_read_scenario, require_scenario_edit, require_scenario_read, \
    visible_scenarios
from .views import MIN_CELL, visible_dataset, visible_forecast, visible_hospital_ids, visible_outlook, \
    visible_results

__all__ = ["ACTIONS", "AccessDenied", "BUREAU", "KINDS", "MIN_CELL", "RIGHTS", "Role", "RoleMap", "RolesError",
           "User", "can", "can_edit_scenario", "can_read_scenario", "check_hospital", "load_roles",
           "may_see_hospital", "parse_roles", "require", "require_scenario_edit", "require_scenario_read",
           "visible_dataset", "visible_forecast", "visible_hospital_ids", "visible_outlook", "visible_results",
           "visible_scenarios"]
