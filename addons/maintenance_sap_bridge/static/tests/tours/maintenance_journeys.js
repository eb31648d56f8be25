/** @odoo-module */
/* Journeys 1 (planner) and 2 (technician on a phone) of issue 15, walked in the browser by a user
 * holding only that role's groups (tests/test_journeys.py prepares the data, runs the queue jobs
 * the clicks enqueue, as the job runner would, and checks afterwards what the clicks changed). */

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

/* The job runner works after the browser's request: a reload shows what it did. */
function reload(content) {
    return {
        content,
        trigger: ".o_form_view .o_form_sheet",
        run() {
            window.location.reload();
        },
    };
}

function openTab(name) {
    return {
        content: `Open the ${name} tab`,
        trigger: `.o_notebook .nav-link:contains('${name}')`,
        run: "click",
    };
}

/* 1. Planner: a corrective request → its SAP notification → parts readiness → release → the SAP
 * order, its status and operations → the cross-system timeline and what the job waits on. */
tours.add("maintenance_sap_bridge_journey_planner", {
    url: "/odoo/action-maintenance.hr_equipment_request_action",
    steps: () => [
        {
            content: "New maintenance request",
            trigger: ".o_control_panel_main_buttons .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Say what is wrong",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Pump P-100 leaking at the seal",
        },
        {
            content: "Choose the equipment",
            trigger: ".o_field_widget[name=equipment_id] input",
            run: "edit P-100",
        },
        {
            content: "Pump P-100",
            trigger: ".o-autocomplete--dropdown-item a:contains('Pump P-100')",
            run: "click",
        },
        {
            content: "Save: the SAP notification is created by the job runner",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_breadcrumb .active:contains('Pump P-100 leaking at the seal')",
        },
        reload("Reload the request after the job runner"),
        {
            content: "The SAP number shows under the title",
            trigger: ".o_field_widget[name=plant_sync_external_ref]:contains('SAP simulator')",
        },
        openTab("SAP"),
        {
            content: "The SAP notification number",
            trigger: ".o_field_widget[name=sap_notification_number] span:not(:empty)",
        },
        openTab("Timeline"),
        {
            content: "The timeline shows the notification created in SAP",
            trigger: ".o_plant_sync_step[data-system=SAP][data-state=done]:contains('SAP notification')",
        },
        {
            content: "The job waits for the planner's release",
            trigger: ".o_plant_sync_waiting:contains('release the job')",
        },
        openTab("Spare Parts"),
        {
            content: "Plan a spare part",
            trigger: ".o_field_widget[name=planned_part_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Search the part",
            trigger: ".o_field_widget[name=planned_part_ids] .o_data_row .o_field_widget[name=product_id] input",
            run: "edit Bearing",
        },
        {
            content: "Bearing 6204",
            trigger: ".o-autocomplete--dropdown-item a:contains('Bearing 6204')",
            run: "click",
        },
        {
            content: "Two of them",
            trigger: ".o_field_widget[name=planned_part_ids] .o_data_row .o_field_widget[name=quantity] input",
            run: "edit 2",
        },
        {
            content: "Save the plan",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Readiness: the critical part is short in the store",
            trigger: ".o_parts_readiness:contains('Critical spare part short'):contains('Bearing 6204')",
        },
        {
            content: "The part line says so too",
            trigger: ".o_field_widget[name=planned_part_ids] .o_data_row:contains('Bearing 6204') .o_field_widget[name=availability]:contains('Critical part short')",
        },
        {
            content: "Release the job anyway (the part is ordered): stage In Progress",
            trigger: ".o_statusbar_status button:contains('In Progress')",
            run: "click",
        },
        {
            content: "Released",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('In Progress')",
        },
        reload("Reload the request after the job runner"),
        openTab("SAP"),
        {
            content: "The SAP order number",
            trigger: ".o_field_widget[name=sap_order_number] span:not(:empty)",
        },
        {
            content: "Its status: released",
            trigger: ".o_field_widget[name=sap_status]:contains('REL')",
        },
        {
            content: "Its operations",
            trigger: ".o_field_widget[name=sap_operation_ids] .o_data_row:contains('0010')",
        },
        openTab("Timeline"),
        {
            content: "The timeline shows the order created and released",
            trigger: ".o_plant_sync_step[data-system=SAP][data-state=done]:contains('SAP order created and released')",
        },
        {
            content: "and the operations of the order",
            trigger: ".o_plant_sync_step:contains('Operations'):contains('0010')",
        },
        {
            content: "The job now waits on the technician and on the store",
            trigger: ".o_plant_sync_waiting:contains('Technician'):contains('Bearing 6204')",
        },
    ],
});

/* 2. Technician on a phone (390×844, touch): my work today → the job → timer → a part by
 * barcode → downtime and failure report → stop and submit my hours → complete. */
tours.add("maintenance_sap_bridge_journey_technician", {
    url: "/odoo/action-maintenance_sap_bridge.action_maintenance_my_work_today",
    steps: () => [
        {
            content: "My work today: open the job",
            trigger: ".o_kanban_record:contains('Replace the seal of pump P-200')",
            run: "click",
        },
        {
            content: "Start the timer",
            trigger: ".o_form_view button[name=action_labour_timer_start]",
            run: "click",
        },
        {
            content: "The timer runs",
            trigger: ".o_form_view .alert:contains('Working since')",
        },
        {
            content: "Pause (a coffee)",
            trigger: ".o_form_view button[name=action_labour_timer_pause]",
            run: "click",
        },
        {
            content: "The worked minute is a labour line",
            trigger: ".o_field_widget[name=labour_my_hours]:contains('00:01')",
        },
        {
            content: "Start again",
            trigger: ".o_form_view button[name=action_labour_timer_start]",
            run: "click",
        },
        {
            content: "Book a part",
            trigger: ".o_form_view button[name=action_technician_book_part]",
            run: "click",
        },
        {
            content: "Scan its barcode",
            trigger: ".modal .o_field_widget[name=barcode] input",
            run: "edit 4006381333931",
        },
        {
            content: "The scanner ends with Enter",
            trigger: ".modal .o_field_widget[name=barcode] input",
            run: "press Enter",
        },
        {
            content: "The part is found",
            trigger: ".modal .o_field_widget[name=product_id] input:value(Bearing 6204)",
        },
        {
            content: "Two of them",
            trigger: ".modal .o_field_widget[name=quantity] input",
            run: "edit 2",
        },
        {
            content: "Book",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The job shows the booked part",
            trigger: ".o_field_widget[name=parts_booked_summary]:contains('Bearing 6204')",
        },
        {
            content: "The machine stopped",
            trigger: ".o_form_view button[name=action_downtime_start_now]",
            run: "click",
        },
        {
            content: "It runs again",
            trigger: ".o_form_view button[name=action_downtime_end_now]",
            run: "click",
        },
        {
            content: "Downtime recorded",
            trigger: ".o_field_widget[name=downtime_end] input:not(:value(''))",
        },
        {
            content: "Failure class",
            trigger: ".o_field_widget[name=cmms_failure_class] input",
            run: "edit PUMPS",
        },
        {
            content: "Problem",
            trigger: ".o_field_widget[name=cmms_problem_code] input",
            run: "edit LEAK",
        },
        {
            content: "Cause",
            trigger: ".o_field_widget[name=cmms_cause_code] input",
            run: "edit WEAR",
        },
        {
            content: "Remedy",
            trigger: ".o_field_widget[name=cmms_remedy_code] input",
            run: "edit REPLACE",
        },
        {
            content: "Stop: my hours go to approval",
            trigger: ".o_form_view button[name=action_labour_timer_stop]",
            run: "click",
        },
        {
            content: "No timer runs any more",
            trigger: ".o_form_view:not(:has(.alert:contains('Working since'))) button[name=action_labour_timer_start]",
        },
        {
            content: "Complete the job",
            trigger: ".o_form_view button[name=action_technician_complete]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Done",
            trigger: ".o_form_view .alert:contains('Job done')",
        },
    ],
});
