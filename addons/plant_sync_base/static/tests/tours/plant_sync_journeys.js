/** @odoo-module */
/* The journeys of issue 15, walked in the browser by a user holding only that role's groups
 * (tests/test_journeys.py prepares the data, runs the tour, then checks what it changed). */

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function openMenu(section, item) {
    return [
        {
            content: `Open the ${section} menu`,
            trigger: `.o_menu_sections button:contains('${section}')`,
            run: "click",
        },
        {
            content: `Open ${item}`,
            trigger: `.o-dropdown--menu .dropdown-item:contains('${item}')`,
            run: "click",
        },
    ];
}

function runAction(label) {
    return [
        {
            content: "Open the Actions menu",
            trigger: ".o_cp_action_menus button:contains('Actions')",
            run: "click",
        },
        {
            content: label,
            trigger: `.o-dropdown--menu .o_menu_item:contains('${label}')`,
            run: "click",
        },
    ];
}

/* 3. Administrator: held messages grouped by the missing mapping → the mapping created from
 * the message, prefilled → the group is released; test a backend connection; re-encrypt the
 * secrets with the newest key (README, Configuration: new key first, Rotate, old key removed). */
tours.add("plant_sync_journey_admin", {
    url: "/odoo/action-plant_sync_base.action_plant_sync_message_held",
    steps: () => [
        {
            content: "Held messages are grouped by the mapping they wait for",
            trigger: ".o_group_header:contains('low')",
        },
        {
            content: "Open the group of the missing status 'urgent'",
            trigger: ".o_group_header:contains('urgent')",
            run: "click",
        },
        {
            content: "Create the mapping from a held message",
            trigger: ".o_data_row:first button[name=action_fix_hold]",
            run: "click",
        },
        {
            content: "The missing Odoo value is filled in",
            trigger: ".o_field_widget[name=odoo_value] input:value(urgent)",
        },
        {
            content: "So is the backend",
            trigger: ".o_field_widget[name=backend_id] input:value(Remote)",
        },
        {
            content: "Type what the remote system calls it",
            trigger: ".o_field_widget[name=external_value] input",
            run: "edit URG",
        },
        {
            content: "Save the mapping: the held messages are released",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_breadcrumb .active:contains('URG')",
        },
        ...openMenu("Messages", "Held Messages"),
        {
            content: "Only the other missing mapping still holds messages",
            trigger:
                ".o_list_renderer:has(.o_group_header:contains('low')):not(:has(.o_group_header:contains('urgent')))",
        },
        {
            content: "The integration dashboard",
            trigger: ".o_menu_sections .o_nav_entry:contains('Dashboard')",
            run: "click",
        },
        {
            content: "Open the ERP backend",
            trigger: ".o_kanban_record:contains('ERP simulator') .fw-bold",
            run: "click",
        },
        {
            content: "Test the connection",
            trigger: ".o_form_view button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "The ERP answered",
            trigger: ".o_notification:contains('Connection OK')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Dashboard')",
            run: "click",
        },
        {
            content: "As a list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Select every backend",
            trigger: ".o_list_renderer thead .o_list_record_selector input",
            run: "click",
        },
        ...runAction("Re-encrypt secrets with the newest key"),
        {
            content: "The secrets are encrypted with the newest key",
            trigger: ".o_notification:contains('re-encrypted with the newest key')",
        },
    ],
});

/* 4. Finance: the exception queue filtered by cost center, amount at stake and posting period;
 * bulk retry; cancel with a reason; what blocks the period close. */
tours.add("plant_sync_journey_finance", {
    url: "/odoo/action-plant_sync_base.action_plant_sync_exception",
    steps: () => [
        {
            content: "The finance exceptions are in the queue",
            trigger: ".o_data_row:contains('GI-1004')",
        },
        {
            content: "Search a cost center",
            trigger: ".o_searchview_input",
            run: "edit 10101101",
        },
        {
            content: "... in the Cost Center field",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains('Cost Center')",
            run: "click",
        },
        {
            content: "The other cost center is filtered out",
            trigger: ".o_list_renderer:not(:has(.o_data_row:contains('GI-1004')))",
        },
        {
            content: "Search a posting period",
            trigger: ".o_searchview_input",
            run: "edit 2025-01",
        },
        {
            content: "... in the Posting Period field",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains('Posting Period')",
            run: "click",
        },
        {
            content: "February is filtered out",
            trigger: ".o_list_renderer:not(:has(.o_data_row:contains('GI-1005')))",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Only what has 1,000 or more at stake",
            trigger: ".o_filter_menu .o_menu_item:contains('At stake ≥ 1,000')",
            run: "click",
        },
        {
            content: "Two postings remain",
            trigger:
                ".o_list_renderer:has(.o_data_row:contains('GI-1001')):has(.o_data_row:contains('GI-1002')):not(:has(.o_data_row:contains('GI-1003')))",
        },
        {
            content: "Close the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Select them all",
            trigger: ".o_list_renderer thead .o_list_record_selector input",
            run: "click",
        },
        ...runAction("Retry"),
        {
            content: "Both are being retried",
            trigger:
                ".o_list_renderer:not(:has(.o_data_row .o_field_badge:contains('New'))):has(.o_data_row:contains('GI-1002'))",
        },
        {
            content: "Every cost center again",
            trigger: ".o_searchview_facet:contains('10101101') .o_facet_remove",
            run: "click",
        },
        {
            content: "Open the posting of the other cost center",
            trigger: ".o_data_row td[name=name]:contains('GI-1004')",
            run: "click",
        },
        {
            content: "Cancel it with a reason",
            trigger: ".o_form_view button[name=action_cancel_wizard]",
            run: "click",
        },
        {
            content: "The reason",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Booked by hand in the ERP (document 4900001234)",
        },
        {
            content: "Cancel the exception",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Cancelled, with the reason kept",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Cancelled')",
        },
        {
            content: "What blocks the period close",
            trigger: ".o_menu_sections .o_nav_entry:contains('Period Close')",
            run: "click",
        },
        {
            content: "The open exceptions block January and February",
            trigger: ".o_pivot:contains('2025-01'):contains('2025-02')",
        },
        {
            content: "Look at the lines",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The cancelled posting no longer blocks the close",
            trigger:
                ".o_list_renderer:has(.o_data_row:contains('GI-1005')):not(:has(.o_data_row:contains('GI-1004')))",
        },
    ],
});

/* 5. Operations monitoring: throughput over time, latency p95 and failures per backend and
 * flow, and the alerts raised to the administrators. */
tours.add("plant_sync_journey_monitoring", {
    url: "/odoo/action-plant_sync_base.action_plant_sync_metric_snapshot",
    steps: () => [
        {
            content: "Throughput over time",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Choose a measure",
            trigger: "button:contains('Measures')",
            run: "click",
        },
        {
            content: "Latency p95",
            trigger: ".o-dropdown--menu .o_menu_item:contains('Latency p95')",
            run: "click",
        },
        {
            content: "Latency p95 is drawn",
            trigger: ".o-dropdown--menu .o_menu_item.selected:contains('Latency p95')",
        },
        {
            content: "Per backend and flow",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot shows every measure per backend",
            trigger: ".o_pivot:contains('Remote (loopback)'):contains('Failure Rate (%)')",
        },
        ...openMenu("Monitoring", "Alerts"),
        {
            content: "Open the backlog alert",
            trigger: ".o_data_row td[name=name]:contains('Backlog')",
            run: "click",
        },
        {
            content: "The administrators have an activity for it",
            trigger: ".o-mail-Chatter .o-mail-Activity:contains('Backlog')",
        },
    ],
});
