"""Safe negation and context: a cue suppresses a red flag only when it is about the symptom.

The sentences here guided the context rules (content/red_flag_context.yml), so they are
in-sample examples of the behaviour, not a measure of it (make eval has the hold-out figures).
"""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from bot.nlu.red_flag_classifier import decide
from bot.nlu.red_flag_model import Assessment
from bot.red_flag_context import CONTEXT_PATH, LISTS
from bot.red_flag_context import parse as parse_context
from bot.red_flag_detector import default_detector


def flags(text: str) -> list[str]:
    return [hit.id for hit in default_detector().detect(text)]


@pytest.mark.parametrize(
    "text",
    [
        "I can't hold my urine in",
        "I'm unable to empty my bladder",
        "I'm not sure when my bladder is full any more",
        "i wet myself without realising",
        "never happened before, peed myself walking to the shop",
        "I can no longer feel my bum when I sit on the loo",
    ],
)
def test_a_negation_inside_an_inability_or_loss_phrase_never_suppresses_cauda_equina(text):
    assert "cauda_equina" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "no numbness down below",
        "I have not had any numbness around my bottom",
        "I've never had cancer",
        "my mum has cauda equina",
        "cauda equina was ruled out at A&E",
        "had pins and needles in my bum last year but it has all gone now",
        "I've lost two stone on slimming world",
        "could I have a leaflet about cauda equina please",
        "I was reading about cauda equina online",
    ],
)
def test_a_denial_someone_else_a_resolved_past_or_a_reading_is_not_a_flag(text):
    assert flags(text) == []


def test_a_cancer_in_the_past_still_counts_with_new_back_pain_even_when_it_has_gone():
    assert "cancer_history" in flags(
        "I had breast cancer years ago, it went away after treatment, and now new back pain"
    )


def test_weight_lost_without_trying_is_still_a_flag():
    assert "weight_loss" in flags("I've lost two stone without trying")


def test_a_wound_told_by_what_happened_is_an_emergency():
    assert flags("I was knifed in the leg") == ["other_emergency"]


def test_an_emergency_held_back_only_by_a_distant_negation_is_unsure_not_silent():
    result = default_detector().analyse("nothing else really, my bum is numb")
    assert result.hits == []
    assert [hit.id for hit in result.unsure] == ["cauda_equina"]


def test_a_plain_denial_of_an_emergency_symptom_is_not_even_unsure():
    result = default_detector().analyse("no numbness around my bottom")
    assert result.hits == [] and result.unsure == []


@pytest.mark.parametrize(
    "text",
    [
        "Many years ago I had a minor stroke and made a full recovery",
        "broke my wrist as a kid falling off a trampoline",
        "I had a DVT in 2016 after a long flight",
        "what is cauda equina",
        "If someone had numbness in the saddle area would you see them?",
        "the GP checked me for cauda equina and sent me here for physio",
        "the eye hospital tested me for GCA and ruled it out",
        "my nans hip replacement went septic",
        "the fella next door had a stroke",
        "lost a stone on purpose",
        "cut out takeaways and lost a stone, proud of myself",
        "my old glasses make my eyes tired",
        "it's a stabbing pain in my heel",
        "stroking the cat has given me a sore wrist",
        "waterworks normal, bowels normal, just a stiff back",
        "hot swollen joint? no. knee ache after a long walk? yes",
        "headache at my temples after the wedding, fine the next day",
        "fell off a ladder two years ago and broke my heel, it healed, now it just aches",
        "The price of parking nearly gave me a heart attack",
        "I cut out sugar on purpose and lost 10kg, but my heel still hurts",
        "my dog has lost loads of weight and the vet is checking him",
        "if you cant wee with back pain is that an emergency?",
        "I took an overdose when I was 17, I'm 40 now and well",
        "used to self-harm at uni, havent for 10 years",
        "I get breathless because I'm doing HIIT classes on purpose to get fit",
    ],
)
def test_history_talk_about_a_condition_other_people_and_on_purpose_are_not_flags(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # the past carried into the present
        ("ever since a fall years ago my leg has been getting weaker", "neuro_deficit"),
        ("had a heart attack 3 years ago, now my chest is tight and painful", "chest_pain"),
        ("my new knee (replaced last year) has gone red and hot", "septic_arthritis"),
        # a cancer, or a bowel or skin disease linked to arthritis, in the past still counts
        ("skin cancer cut out 2 years ago, new stiff painful neck", "cancer_history"),
        # a change that was not meant, and harm that was
        ("lost 2 stone in 3 months not dieting, and my hip hurts", "weight_loss"),
        ("burnt my arm with a lighter on purpose last night", "mental_health_crisis"),
        ("had too many of my sleeping tablets on purpose", "mental_health_crisis"),
        ("I was stabbed in the leg", "other_emergency"),
        # "fine" only right next to the symptom, never across a comma
        ("numb bum, legs fine", "cauda_equina"),
        # a resolved word that is denied is no resolution
        ("my privates feel numb and it doesn't wear off", "cauda_equina"),
        # a patient asking about their own symptom is not talking about a condition
        ("I wanted to ask about my legs, both have gone weak since yesterday", "cauda_equina"),
        # "now" in the mention's own clause carries the past into the present
        ("my knee replacement from 2 years ago is swollen and warm now", "septic_arthritis"),
        # risk factors for a spine infection count even when they are in the past
        (
            "I injected drugs in the past but stopped last month, now my back hurts",
            "spinal_infection",
        ),
        ("took about 20 of my co-codamol on purpose but I was only sick", "mental_health_crisis"),
        ("wanna kms the pain is that bad", "mental_health_crisis"),
        ("he doesn't care, I doesn't want to live anymore", "mental_health_crisis"),
        ("ive written letters to my kids for when im gone", "mental_health_crisis"),
        ("arm weakness getting worse hour by hour", "neuro_deficit_emergency"),
        ("new headache, jaw hurts when I chew, and the words kept going double", "gca_vision"),
    ],
)
def test_the_past_now_a_cancer_history_and_deliberate_harm_still_flag(text, flag):
    assert flag in flags(text)


def test_the_context_rules_in_content_are_complete_and_checked():
    raw = yaml.safe_load(CONTEXT_PATH.read_text())
    rules = parse_context(raw)
    assert all(rules[name] for name in LISTS)
    broken = dict(raw, negations=[])
    with pytest.raises(jsonschema.ValidationError):
        parse_context(broken)
    with pytest.raises(jsonschema.ValidationError):
        parse_context({key: value for key, value in raw.items() if key != "not_negations"})


@pytest.mark.parametrize(
    "text",
    [
        "I don't feel suicidal or anything like that, just fed up with this shoulder",
        "not feeling suicidal, just low about the knee",
        "can you send me the Versus Arthritis sheet on rheumatoid arthritis",
        "had my swollen hot knee drained, no infection, it was gout",
        "I had weight loss surgery so I've lost a lot, all planned",
    ],
)
def test_a_mood_denied_a_leaflet_a_test_that_found_nothing_and_planned_loss_are_not_flags(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # a loss of feeling said of the need to go, not a denial
        ("can't feel when I need a wee any more", "cauda_equina"),
        ("I can't tell when I need the toilet now", "cauda_equina"),
        ("i dont get the urge to wee anymore", "cauda_equina"),
        ("I can't feel my bum and I feel suicidal", "mental_health_crisis"),
        ("honestly I don't feel like living anymore", "mental_health_crisis"),
        ("I don't plan on being around long enough for the appointment", "mental_health_crisis"),
        # "all clear" after a cancer means remission: the history still counts
        ("had breast cancer 5 years ago, all clear since, now new back pain", "cancer_history"),
    ],
)
def test_a_loss_of_the_urge_to_go_a_mood_and_a_cancer_all_clear_still_flag(text, flag):
    assert flag in flags(text)


def test_a_living_phrase_without_a_denial_is_not_a_crisis():
    assert flags("I feel like living again since the physio") == []
    assert flags("don't know if I need to go to work tomorrow") == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # an overdose told as a drug and a count
        ("I took 20 paracetamol this morning but I feel fine", "mental_health_crisis"),
        ("took 16 of my amitriptyline tonight", "mental_health_crisis"),
        # distress is not a denial
        ("not coping at all, want to hurt myself", "mental_health_crisis"),
        ("my head keeps telling me to jump", "mental_health_crisis"),
        # an age opening the message
        ("17 and back pain from nowhere for 6 weeks", "new_back_pain_age"),
    ],
)
def test_an_overdose_by_count_distress_and_an_age_said_first_flag(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "I take 2 paracetamol 4 times a day",
        "took 10 days off work with it",
        "7 and it keeps me up at night",  # a pain score answered first is not an age
        "what does foot drop look like",
        "breathless after my parkrun but thats normal for me",
        "felt like I'd been hit by a bus after gardening, all my muscles ache",
        "my hip's on its last legs, i feel like im falling to bits",
    ],
)
def test_a_normal_dose_a_pain_score_a_question_exercise_and_figures_of_speech_do_not(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # written for the patient: "she" and "my mum" are the patient
        (
            "I'm filling this in for my mum, she can't feel her bum and she's wet herself",
            "cauda_equina",
        ),
        ("Typing for my dad, his mouth is drooping and his words come out wrong", "stroke"),
        ("on behalf of my wife: she says she wants to die", "mental_health_crisis"),
        # an overdose this morning is not over because the patient feels ok now
        ("I overdosed on my gabapentin this morning but I'm ok now", "mental_health_crisis"),
        ("lost weight without meaning to and my back aches", "weight_loss"),
        (
            "there's no point anymore, my family would be better off without me",
            "mental_health_crisis",
        ),
    ],
)
def test_a_carer_writing_for_the_patient_and_an_overdose_just_taken_still_flag(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "my wifes legs went weak yesterday, shes at A&E now. im filling this in for my own back",
        "my mum had a stroke years ago, I look after her, it's my shoulder I'm here about",
        "had a stroke in 2015, made a full recovery, now its my knee just aching",
    ],
)
def test_someone_elses_symptom_when_referring_oneself_and_an_old_resolved_one_do_not(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my nan says her vision went fuzzy and dark in one eye", "gca_vision"),
        ("Mum 79 suddenly cant lift her right arm and her speech is slurred", "stroke"),
        ("my husband says his legs are weak", "cauda_equina"),
        ("my mate says she's taken an overdose, she's here with me, what do I do", None),
    ],
)
def test_a_message_about_nobody_but_someone_else_happening_now_gets_their_advice(text, expected):
    """Whoever types it, the person it describes needs the advice (a carer, a partner)."""
    found = flags(text)
    assert found, text
    if expected:
        assert expected in found


@pytest.mark.parametrize(
    "text",
    [
        "my mum has cauda equina",  # a relative's named condition is their history
        "my dad had a stroke years ago",
        "my mum had breast cancer",
        "my husband's legs are weak but I'm here about my shoulder",  # the patient's own problem
        "my sister has sepsis, I just have a sore ankle",
        "My mate broke his back falling off a ladder",  # over, and no present tense
    ],
)
def test_someone_elses_history_or_a_message_with_the_writers_own_problem_is_not_a_flag(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my dad is having a stroke, his face has dropped and his speech is slurred", "stroke"),
        ("my mum's face has dropped and her speech is slurred, is it a stroke", "stroke"),
        ("my husband is having a stroke", "stroke"),
    ],
)
def test_naming_the_condition_does_not_hide_the_symptoms_told_about_someone_else(text, expected):
    assert expected in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "my chest pain settled but it's back now",
        "had chest pain last night, the ECG was all clear but it's come back now",
    ],
)
def test_an_emergency_that_recovered_and_came_back_in_the_same_sentence_is_never_silent(text):
    result = default_detector().analyse(text)
    assert "chest_pain" in [hit.id for hit in [*result.hits, *result.unsure]]


def test_an_old_injury_that_recovered_before_a_new_problem_now_is_history():
    text = "the motorbike accident was 2010, neck fusion then, been fine for years, now a sore knee"
    assert flags(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "the new knee they did last year has gone hot and puffy and really painful",
        "my knee replacement from 2019 is red hot and swollen",
    ],
)
def test_a_joint_replaced_in_the_past_that_is_hot_now_is_septic_until_proven_otherwise(text):
    assert "septic_arthritis" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "went to A&E with the chest pain, they did a heart trace and bloods, all clear",
        "had the temple artery inflammation 6 years ago, finished the steroids ages ago",
        "I broke my wrist as a kid",
    ],
)
def test_a_test_that_came_back_clear_and_a_finished_course_are_history(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "numb bum, doctor signed me off work",
        "my scan came back clear but I can't feel my bum when I wipe",
    ],
)
def test_a_sick_note_or_an_earlier_clear_test_never_hides_a_symptom_now(text):
    assert "cauda_equina" in flags(text)


def test_a_fall_from_something_high_is_told_by_what_was_fallen_from():
    assert "fracture_trauma" in flags("fell off the shed roof onto my back, about 8 foot")
    assert flags("fell off the bed last night") == []
    assert "fracture_trauma_emergency" in flags("fell off the scaffold and hit my head")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # an inability that keeps its "can't": severe breathlessness is an emergency
        ("so breathless I can't finish a sentence", "breathless"),
        # no future, said without the words
        ("lost everything, i cant see the point in carrying on", "mental_health_crisis"),
        ("I won't be around for the appointment, I've sorted my affairs", "mental_health_crisis"),
        # a weak immune system lasts, however long ago it began
        ("I had a liver transplant years ago and my back hurts", "spinal_infection"),
        # a replaced joint hot in the last few days, whenever it was replaced
        ("my knee was replaced 3 years ago and the last few days its gone hot", "septic_arthritis"),
        # a crash told by what happened
        ("a lorry went into the back of me on the motorway, my neck is sore", "fracture_trauma"),
    ],
)
def test_an_inability_a_lasting_risk_and_a_crash_told_plainly_flag(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        # an infection or an operation long ago and over
        ("spine operation in 2012, recovered fully, it's my shoulder now"),
        ("had a septic elbow in 2019, washed out and been fine since, this is my knee"),
        # a time of life long past
        ("broke my ankle playing rugby in my twenties"),
        # weight lost by drinking or eating less on purpose
        ("gave up drinking in january and lost a stone, feeling great"),
        # a figure of speech
        ("it was a car crash of a day, anyway my elbow hurts"),
    ],
)
def test_an_old_infection_or_operation_a_past_injury_and_meant_weight_loss_are_not_flags(text):
    assert flags(text) == []


def test_a_relatives_spinal_infection_risk_is_theirs_not_the_patients_advice():
    assert "spinal_infection" not in flags("my husband has back pain and a temperature")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("it feels like someone is sitting on my chest", "chest_pain"),
        ("both my feet are flopping about since the weekend", "neuro_deficit_emergency"),
        ("fell on the ice, I cannot put any weight through my right leg", "fracture_trauma"),
        (
            "the knee they replaced in 2019 has been hot and swollen since monday",
            "septic_arthritis",
        ),
        ("I'm not going to carry on after this week", "mental_health_crisis"),
        # a symptom said after a checklist denial of another is still the patient's
        ("fever: no. but I can't feel my bum when I wipe", "cauda_equina"),
    ],
)
def test_chest_pressure_floppy_feet_weight_bearing_and_a_plan_told_plainly_flag(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "bladder and bowels: normal. fever: no.",
        "my legs turned to jelly after leg day, sore for 3 days",
        "I stopped the tablets on purpose, they made me drowsy",
    ],
)
def test_a_checklist_of_denials_an_idiom_after_exercise_and_stopped_tablets_are_not_flags(text):
    assert flags(text) == []


def test_jaw_pain_that_goes_off_when_chewing_stops_is_still_giant_cell_arteritis():
    text = "jaw aches when I eat and goes off when I stop chewing, new headaches at my temples, 74"
    assert "giant_cell_arteritis" in flags(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # a word whose root looks like a "gone" cue is not a recovery ("get going now")
        ("it takes forever for my wee to get going now and my back is killing me", "cauda_equina"),
        ("the numbness round my back passage is going now but not gone", "cauda_equina"),
        # a person named as company is not whose symptom it is
        (
            "since my back went I can't finish when I'm with my wife and my bits feel numb",
            "cauda_equina",
        ),
        # ...but "with" that ends the on-behalf words still says whose symptom it is
        ("completing this referral with my mum, she can't feel her bum", "cauda_equina"),
        # "fine" before a sudden change is when it started, not a recovery
        ("both legs went weak overnight, I was fine yesterday", "cauda_equina"),
        ("my hand is getting weaker every week, it was fine a month ago", "neuro_deficit"),
        # a replaced joint named a sentence before the heat
        (
            "My knee was replaced in 2019. This week the whole knee has gone hot and it hurts.",
            "septic_arthritis",
        ),
        ("I have lost loads of weight and I'm eating the same as ever, ribs ache", "weight_loss"),
        ("down two stone since the summer, not trying to, back is sore", "weight_loss"),
        ("there's no reason to go on any more", "mental_health_crisis"),
        ("I've worked out how to do it, I just want out of this life", "mental_health_crisis"),
        ("I got shot in the arm last night", "other_emergency"),
    ],
)
def test_this_rounds_lay_wordings_of_red_flags_are_caught(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "my hips are shot after years on building sites",
        "can a trapped nerve cause problems with your bladder?",
        "is a sore scalp linked to arthritis?",
        "do u deal with chest pains or should I go elsewhere",
        "I had pins and needles in my bum after a long drive but it went away",
        "the swollen hot ankle was gout, the GP sorted it with tablets",
        "my knee was hot and swollen in the spring, sorted with antibiotics",
    ],
)
def test_an_idiom_a_general_question_and_a_recovered_past_are_not_flags(text):
    assert flags(text) == []


def test_a_real_word_is_not_spelling_corrected_to_its_own_root_but_a_typo_still_is():
    detector = default_detector()
    assert "settled" in detector.correct_spelling("it settled down")
    assert "overdose" in detector.correct_spelling("i took an overdoes")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("the pins and needles began in my toes and have crept up to my shin", "neuro_deficit"),
        ("my hand is going downhill, weaker every day, dropping my cup", "neuro_deficit"),
        ("my elbow came up big and it's roasting to touch since this morning", "septic_arthritis"),
        ("knee no good at all, gone massive and hot overnight", "septic_arthritis"),
        ("fingers like sausages and I can't make a fist till lunchtime, every morning", None),
        ("scales keep going down, lost 6 kilos in 2 months and eating normally", "weight_loss"),
        ("lost nearly a stone since autumn without meaning to, my hip aches", "weight_loss"),
        ("had an accident with my bowels today and my back is agony", "cauda_equina"),
        ("fever and a rash that doesn't fade when I press a glass on it", "other_emergency"),
        ("I've already written my letters, there's no point", "mental_health_crisis"),
        ("had a lump removed from my breast two years ago, now my back aches", "cancer_history"),
        ("thrown off my bike at the junction, landed flat on my back", None),
    ],
)
def test_sets_w_and_x_lay_wordings_are_caught(text, flag):
    found = flags(text)
    assert found if flag is None else flag in found, found


@pytest.mark.parametrize(
    "text",
    [
        "can sciatica usually affect your bladder?",
        "have you got anything on septic arthritis I could print off",
        "my hip is a total car crash according to the consultant",
        "what number do I ring if it gets worse",
        "went to A&E, they did an MRI and said it was clear",
    ],
)
def test_sets_w_and_x_questions_leaflets_idioms_and_clear_scans_are_not_flags(text):
    assert flags(text) == []


@pytest.mark.parametrize("word", ["doesn't", "couldn't", "wouldn't", "haven't", "shouldn't"])
def test_a_contraction_is_never_spelling_corrected_into_a_catalogue_word(word):
    """A catalogue phrase written without its apostrophe ("doesnt") once made "doesn't" read
    as "doesnt't", and every phrase with "doesn't" in it was lost."""
    assert default_detector().correct_spelling(f"it {word} feel right") == f"it {word} feel right"


@pytest.mark.parametrize(
    "text",
    [
        "111 told me if I ever got numbness down below to go to A&E, well I've got it now",
        "the leaflet says if you lose control of your bladder go to A&E. that's what's happening",
        "they said to watch for my bum going numb and now I have",
        "what should I do if my legs go numb and I wet myself? it's happening now",
    ],
)
def test_a_what_if_the_patient_then_says_has_come_true_is_asked_about_not_held_back(text):
    result = default_detector().analyse(text)
    assert "cauda_equina" in [hit.id for hit in [*result.hits, *result.unsure]]


@pytest.mark.parametrize(
    "text",
    [
        "what if I get numbness down below",
        "if I ever get numbness down below I should go to A&E, I've got it written down",
        "what should I do if I lose control of my bladder",
    ],
)
def test_a_what_if_with_nothing_come_true_stays_held_back(text):
    result = default_detector().analyse(text)
    assert result.hits == [] and result.unsure == []


@pytest.mark.parametrize(
    "text",
    [
        "wakes me up most nights, have to shake my hand. dropping things sometimes",
        "I can't do up my buttons any more, my fingers go numb",
        "my grip is going in my right hand",
    ],
)
def test_hand_clumsiness_alone_asks_first_and_is_not_escalated_at_once(text):
    """Often carpal tunnel, which the service sees (a blind tester's referral was stopped)."""
    result = default_detector().analyse(text)
    assert "neuro_deficit" not in [hit.id for hit in result.hits]
    assert [hit.id for hit in result.unsure][:1] == ["neuro_deficit"]


@pytest.mark.parametrize(
    "text",
    [
        "my hands are clumsy and my walking is unsteady",
        "keep dropping things and I'm unsteady on my feet",
        "the grip in both my hands is going",
    ],
)
def test_hand_clumsiness_with_unsteady_walking_or_both_hands_escalates(text):
    assert "neuro_deficit" in flags(text)


def test_on_purpose_about_something_else_after_a_comma_asks_not_escalates():
    text = "Paracetamol, I lost a bit of weight on purpose, and I do the exercises off a leaflet"
    result = default_detector().analyse(text)
    assert result.hits == []
    assert [hit.id for hit in result.unsure] == ["mental_health_crisis"]
    assert "mental_health_crisis" in flags("I took my tablets on purpose, all of them")


@pytest.mark.parametrize(
    "text",
    [
        "both my hands are clumsy",
        "I'm dropping things and my walking is all over the place",
        "my hands are numb and clumsy and I keep falling over",
        "my grip has gone in both hands",
        # plural hands are both hands (compared word for word: "my hand" is not "my hands")
        "My hands are clumsy",
        "hands feel thick and useless",
        # the walking in other words
        "I keep dropping things and I wobble when I walk",
        "can't do my buttons up and I'm walking like I've had 10 pints",
        "my hand is clumsy and my feet feel like I'm walking on cotton wool",
    ],
)
def test_hand_clumsiness_in_both_hands_or_with_falls_escalates_at_once(text):
    assert "neuro_deficit" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "my hand is clumsy",
        "my right hand is clumsy and I keep dropping things",
        # as often plain clumsiness as a foot that catches
        "sprained my ankle tripping over my own feet",
    ],
)
def test_one_hand_or_tripping_over_my_own_feet_asks_first(text):
    result = default_detector().analyse(text)
    assert result.hits == [] and [hit.id for hit in result.unsure] == ["neuro_deficit"]


@pytest.mark.parametrize(
    "text", ["healthcare assistant on a stroke ward", "I work on the stroke unit as a nurse"]
)
def test_a_stroke_ward_or_unit_named_as_a_job_is_not_a_stroke(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # a question word first and no "I" or "my": still the patient's own symptom
        ("whats going on, want to end it all", "mental_health_crisis"),
        ("whats wrong, legs gone numb and cant pee", "cauda_equina"),
        ("whats cauda equina, got numb bum cant wee", "cauda_equina"),
        # a fall from a height without "my", "the" or "a"
        ("just fell off scaffolding at work", "other_emergency"),
        ("i just fell off our roof", "other_emergency"),
    ],
)
def test_terse_emergencies_a_review_found_held_back_still_escalate(text, flag):
    """A reviewer found these held back or lowered by two changes tried and withdrawn the same
    day ("whats" as a question opener, a fall needing "my/the/a" after "fell off")."""
    assert flag in flags(text)


def test_weight_falling_off_is_weight_loss():
    assert "weight_loss" in flags("weight just falling off me, not eating any less")


def test_a_worry_followed_by_a_new_symptom_is_not_a_what_if_come_true():
    result = default_detector().analyse("what if it's cancer? and now I have pain in my hip too")
    assert result.hits == [] and result.unsure == []


@pytest.mark.parametrize(
    "text",
    [
        "last night I took a lot of my tablets. It was on purpose",
        "my tablets, I took them all on purpose",
        "I took my tablets, yes, on purpose",
    ],
)
def test_tablets_taken_on_purpose_across_a_comma_or_sentence_still_escalate(text):
    assert "mental_health_crisis" in flags(text)


def test_someone_elses_hand_clumsiness_happening_now_asks_too():
    result = default_detector().analyse("my husband keeps dropping things")
    assert [hit.id for hit in result.unsure] == ["neuro_deficit"]


def test_a_sure_learned_guess_does_not_raise_at_once_what_the_rules_ask_first():
    sure = Assessment("neuro_deficit", 0.99, "flag", sure=True)
    assert decide(default_detector(), "I keep dropping things", sure) == ([], "neuro_deficit")


def test_the_check_question_is_for_the_most_serious_flag_either_detector_is_unsure_of():
    unsure_emergency = Assessment("cauda_equina", 0.8, "ask")
    text = "I keep dropping things and my wee is different"
    assert decide(default_detector(), text, unsure_emergency) == ([], "cauda_equina")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # read from the misses of hold-out sets AP and AQ (after their first scores)
        ("Nobody would notice if I was gone. I'm tired of living.", "mental_health_crisis"),
        ("ar, an i cor tell if i need a wee or not", "cauda_equina"),  # Black Country can't
        ("cnt do buttons anymore n i keep wobbling", "neuro_deficit"),
        ("fell about 10ft off a ladder yday, back killing", "fracture_trauma"),
    ],
)
def test_lay_and_local_words_from_the_ap_and_aq_misses_are_found(text, flag):
    assert flag in flags(text)


def test_standing_on_tiptoe_is_not_cant_go_on():
    assert "mental_health_crisis" not in flags("calf weak now, cnt go on tiptoe that side")
    assert "mental_health_crisis" in flags("I cant go on like this")


def test_wot_is_a_question_word():
    assert flags("wot is cauda equina?") == []


@pytest.mark.parametrize(
    "text",
    [
        "I've taken 2 paracetamol this morning and it hasn't helped",
        "took two co-codamol last night",
        "4 weeks now, tried paracetamol and a hot water bottle",
        "been taking naproxen since Monday",
    ],
)
def test_a_sure_learned_crisis_guess_from_painkillers_taken_as_painkillers_is_asked(text):
    # a usability tester's referral was stopped as an overdose for "I've taken 2 paracetamol"
    sure = Assessment("mental_health_crisis", 0.97, "flag", sure=True)
    assert decide(default_detector(), text, sure) == ([], "mental_health_crisis")


@pytest.mark.parametrize(
    "text",
    [
        "took 20 paracetamol an hour ago",
        "took 2 paracetamol and then the rest of the box",
        "I've looked up how many of my tablets it would take",
        "got all my pills lined up on the table",
        "took two co-codamol and I want to die",
    ],
)
def test_an_overdose_or_a_plan_told_with_painkillers_is_raised_at_once(text):
    unsure = Assessment("mental_health_crisis", 0.6, "ask")
    assert decide(default_detector(), text, unsure)[0] == ["mental_health_crisis"]
    assert "mental_health_crisis" in flags(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # carers typing now for someone with them, no "for my ..." words (hold-out AX misses,
        # read after its first score)
        ("her lips have gone blue and shes gasping", "breathless"),
        ("he collapsed in the garden and wont wake up properly", "other_emergency"),
        ("my husband can't put any weight on his ankle and it looks bent", "fracture_trauma"),
    ],
)
def test_someone_elses_emergency_happening_now_is_raised(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "my mate pissed himself when his back went and had to have surgery, thats not me",
        "my nan had temple arteritis and lost the sight in one eye, i'm 34 with a sore wrist",
    ],
)
def test_someone_elses_past_is_still_not_raised(text):
    assert flags(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "no thoughts of harming myself mood is ok its the hip that gets me down",
        "I don't have any thoughts of harming myself, mood's fine, just fed up with my hip",
    ],
)
def test_a_plain_denial_of_thoughts_of_self_harm_is_not_even_asked(text):
    result = default_detector().analyse(text)
    assert result.hits == [] and result.unsure == []


def test_not_trusting_myself_not_to_hurt_myself_still_asks_at_least():
    result = default_detector().analyse("I don't trust myself not to hurt myself tonight")
    assert "mental_health_crisis" in [h.id for h in [*result.hits, *result.unsure]]


@pytest.mark.parametrize(
    "text",
    [
        "left. Oh and my foot went numb last night but that was just from sitting on it",
        "my legs feel heavy after a long shift on the tills",
        "bum went numb on the bike saddle on the long ride, fine once I got off",
    ],
)
def test_a_sure_learned_guess_from_words_explained_away_is_asked_not_raised(text):
    """A blind usability tester's "my foot went numb ... just from sitting on it" was raised
    as cauda equina by the learned detector after the rules had set those words aside
    (`explained_away` in content/red_flags.yml): now one check question."""
    sure = Assessment("cauda_equina", 0.95, "flag", sure=True)
    assert decide(default_detector(), text, sure) == ([], "cauda_equina")


@pytest.mark.parametrize(
    "text",
    [
        "my bum went numb from sitting on it and now I can't feel when I wee",
        "I can't feel my bits and I've wet myself",
    ],
)
def test_words_explained_away_never_hide_the_flag_said_plainly_beside_them(text):
    sure = Assessment("cauda_equina", 0.95, "flag", sure=True)
    assert decide(default_detector(), text, sure)[0] == ["cauda_equina"]


@pytest.mark.parametrize(
    "text, flag",
    [
        ("I've not been able to pass water since last night", "cauda_equina"),
        ("she hasn't been able to feel her bottom since yesterday", "cauda_equina"),
        ("not able to feel when I need a poo", "cauda_equina"),
        ("I'm on chemo and I've got a high temperature and the shivers", "other_emergency"),
        ("he's been fitting for over 5 minutes", "other_emergency"),
        ("she isn't coming round after a fall", "other_emergency"),
        ("my mum has lung cancer and suddenly can't walk, back pain", "cord_compression_emergency"),
    ],
)
def test_perfect_inabilities_chemo_fevers_fits_and_a_relatives_cord_compression_are_raised(
    text, flag
):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "had chemo 10 years ago, no temperature, it's my knee",
        "I've been fit and healthy until this knee",
        "I'm waiting for an MRI to rule out cauda equina",
    ],
)
def test_no_alarm_from_old_chemo_being_fit_or_a_test_still_to_come(
    text,
):
    found = flags(text)
    assert "other_emergency" not in found
    if "cauda equina" in text:
        assert "cauda_equina" in found


@pytest.mark.parametrize(
    "text",
    [
        "the MRI ruled out cord compression, they said physio for the stiffness",
        "ECG and bloods fine, the chest pain was a muscle strain from bench press",
        "had GCA in 2018, finished the steroids, nothing since, hip pain from running",
        "self harmed in year 9, been good for ages, need help with my wrist",
        "chest pain 3 years ago and got a stent, he's been fine since, it's my knee",
        "I'm paralysed with worry about the waiting list for my knee",
        "my legs are weak after the marathon yesterday",
    ],
)
def test_a_test_that_excluded_it_a_history_that_is_over_or_a_figure_of_speech_is_not_raised(text):
    assert flags(text) == []


def test_the_patients_own_guess_of_a_harmless_cause_now_does_not_hide_chest_pain():
    assert "chest_pain" in flags("I think my chest pain is a pulled muscle but it's squeezing")


@pytest.mark.parametrize(
    "text",
    [
        "aching hip and bum after starting spin classes, think I've overdone it",
        "broke me wrist falling off me bike when I were a lad, now it aches in the cold",
        "trapped nerve in my neck, I'm scared it'll leave me paralysed but there's no weakness",
        "my legs feel heavy and tired after standing on the shop floor all day",
        "numb patch on the outside of my thigh, the GP said it's a trapped skin nerve",
    ],
)
def test_overdone_a_childhood_break_a_fear_and_tired_legs_are_not_red_flags(text):
    """Hard negatives written by a helper from FACTS.md only (in the corpus since)."""
    assert flags(text) == []


def test_a_numb_patch_that_keeps_getting_bigger_is_a_progressive_deficit():
    assert flags("the numb patch on my thigh keeps getting bigger") == ["neuro_deficit"]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("high temperature, shaking, really unwell and confused", "other_emergency"),
        ("Can you help with suicidal thoughts? I've got the rope ready", "mental_health_crisis"),
        ("I am having thoughts to finish my life", "mental_health_crisis"),
        ("my mate says I'm not making sense and my arm's gone floppy", "stroke"),
        (
            "my oncology nurse said ring if my back hurt, now both my legs are weak",
            "cancer_history",
        ),
    ],
)
def test_sepsis_with_confusion_a_crisis_come_true_and_speech_with_a_floppy_arm_are_raised(
    text, flag
):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "Lost a lot of weight when I was poorly with my thyroid 3 years ago, all treated now",
        "why do doctors ask about weight loss with back pain",
        "had an ECG and bloods, heart fine, they said chest wall pain",
        "I get night sweats but I'm menopausal, the issue is my shoulder",
        "Numb bum from cycling 100 miles at the weekend, went after a few hours",
        "The pain's like being stabbed in the heel when I first stand up",
        "I'm an oncology nurse, 12 hour shifts, mostly on my feet",
        "I was blue-lighted in with suspected cauda equina back in May, scan was clear",
    ],
)
def test_weight_lost_in_the_past_a_named_cause_and_a_simile_are_not_raised(text):
    """From blind hold-out sets BD and BE, read after their first scores were recorded."""
    assert flags(text) == []


def test_a_question_about_suicidal_thoughts_then_having_them_now_is_asked_at_least():
    found = default_detector().analyse(
        "Can you help with suicidal thoughts? because I'm having them right now"
    )
    assert "mental_health_crisis" in [h.id for h in [*found.hits, *found.unsure]]
