"""A complete set of referral-form slots for an obviously fake patient, shared by the action
tests (unit) and the delivery tests (real processes)."""

from bot.actions.referral_form import NOT_GIVEN

COMPLETE = {
    "consent": True,
    "eligible": True,
    "meets_min_age": True,
    "postcode": "ST4 6QG",
    "gp_practice": "Example Street Surgery",
    "already_under_service": False,
    "body_area": "knee",
    "side": "right",
    "onset": "injury",
    "duration": "3 months",
    "pain_score": "6",
    "daily_impact": "struggle with stairs",
    "red_flag_screening": "done",
    "screening_answers": {"fracture_trauma": "no", "septic_arthritis": "no"},
    "work_status": "working",
    "work_role": "driver",
    "treatments_tried": "ibuprofen",
    "goals": "walking the dog",
    "full_name": "Alex Example",
    "date_of_birth": "1980-03-14",
    "nhs_number": "943 476 5870",
    "address_line1": "12 Example Street",
    "phone": "07700 900123",
    "email": NOT_GIVEN,
    "contact_permissions": "voicemail",
    "communication_needs": "none",
}
