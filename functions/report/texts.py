"""The fixed wording of the patient's report, in every language the service offers.

Written for lay readers: short sentences, everyday words, the reader addressed directly (formal
"Sie", "vous", "Lei"). Every language has the same keys; ``{page}`` and ``{pages}`` are filled in by
the PDF renderer, ``{day}``, ``{month}`` and ``{year}`` by the date formatter.
"""

from __future__ import annotations

from secondopinion.models import Language

EN: dict[str, str] = {
    "title": "Radiology second opinion",
    "translated_notice": (
        "This report has been translated from the language in which the radiologist wrote it. "
        "If any wording is unclear, please discuss it with your doctor."
    ),
    "urgent_notice": (
        "A finding in this report is marked as urgent. Please contact your doctor as soon as possible."
    ),
    "summary_heading": "Summary in plain language",
    "questions_heading": "Answers to your questions",
    "not_answered": "This question was not answered in this report \u2014 please ask your doctor.",
    "findings_heading": "Findings: what the images show",
    "impression_heading": "Conclusion",
    "comparison_heading": "Comparison with the original reading",
    "radpeer_intro": (
        "Radiologists use a standard scale, called RADPEER, to compare two readings of the same images. "
        "A difference is not necessarily a mistake, and radiologists often score the same case "
        "differently. Please read the score together with the reasons below."
    ),
    "radpeer_score_label": "Score",
    "radpeer_meaning_label": "What this means",
    "radpeer_reasoning_label": "The radiologist's reasons",
    "radpeer.1": "This second opinion agrees with the original reading.",
    "radpeer.2a": (
        "There is a difference from the original reading. It is understandable, because it is easy "
        "to miss, and it is unlikely to matter for your care."
    ),
    "radpeer.2b": (
        "There is a difference from the original reading. It is understandable, because it is easy "
        "to miss, but it is likely to matter for your care."
    ),
    "radpeer.3a": (
        "There is a difference from the original reading that most radiologists would have noticed. "
        "It is unlikely to matter for your care."
    ),
    "radpeer.3b": (
        "There is a difference from the original reading that most radiologists would have noticed. "
        "It is likely to matter for your care."
    ),
    "recommendations_heading": "To discuss with your doctor",
    "recommendations_intro": (
        "The radiologist suggests that you discuss these points with the doctor who is treating you:"
    ),
    "no_recommendations": "The radiologist has no further recommendations.",
    "disclaimer_heading": "Important",
    "disclaimer": (
        "This second opinion is an interpretation of your images by an independent radiologist. "
        "It is not a diagnosis and not a treatment plan. Please discuss it with the doctor who is "
        "treating you before you make any decision about your health or your treatment."
    ),
    "about_heading": "About this report",
    "radiologist_label": "Radiologist",
    "subspecialty_label": "Specialist area",
    "institution_label": "Institution",
    "issued_label": "Date of issue",
    "verification_label": "Verification code",
    "verification_hint": (
        "Quote this code if you or your doctor want to confirm that this report is genuine."
    ),
    "page_label": "Page {page} of {pages}",
    "date_format": "{day} {month} {year}",
    "date_first_day": "1",
    "subspecialty.neuroradiology": "Neuroradiology (brain, head, spine and neck)",
    "subspecialty.musculoskeletal": "Musculoskeletal radiology (bones, joints and muscles)",
    "subspecialty.body_imaging": "Body imaging (chest, abdomen and pelvis)",
    "subspecialty.breast_imaging": "Breast imaging",
    "subspecialty.nuclear_medicine": "Nuclear medicine",
    "subspecialty.ultrasound": "Ultrasound",
    "subspecialty.chest": "Chest radiology",
}

DE: dict[str, str] = {
    "title": "Radiologische Zweitmeinung",
    "translated_notice": (
        "Dieser Bericht wurde aus der Sprache übersetzt, in der die Radiologin oder der Radiologe "
        "ihn geschrieben hat. Wenn Ihnen etwas unklar ist, besprechen Sie es bitte mit Ihrer Ärztin "
        "oder Ihrem Arzt."
    ),
    "urgent_notice": (
        "Ein Befund in diesem Bericht ist als dringend markiert. Bitte wenden Sie sich so bald wie "
        "möglich an Ihre Ärztin oder Ihren Arzt."
    ),
    "summary_heading": "Zusammenfassung in einfachen Worten",
    "questions_heading": "Antworten auf Ihre Fragen",
    "not_answered": (
        "Diese Frage wird in diesem Bericht nicht beantwortet \u2013 bitte fragen Sie Ihre Ärztin "
        "oder Ihren Arzt."
    ),
    "findings_heading": "Befund: Was die Bilder zeigen",
    "impression_heading": "Beurteilung",
    "comparison_heading": "Vergleich mit dem ursprünglichen Befund",
    "radpeer_intro": (
        "Radiologinnen und Radiologen vergleichen zwei Beurteilungen derselben Bilder mit einer "
        "einheitlichen Skala namens RADPEER. Ein Unterschied ist nicht unbedingt ein Fehler, und "
        "Fachleute bewerten denselben Fall oft unterschiedlich. Lesen Sie die Bewertung deshalb "
        "bitte zusammen mit der Begründung."
    ),
    "radpeer_score_label": "Bewertung",
    "radpeer_meaning_label": "Was das bedeutet",
    "radpeer_reasoning_label": "Begründung",
    "radpeer.1": "Diese Zweitmeinung stimmt mit dem ursprünglichen Befund überein.",
    "radpeer.2a": (
        "Es gibt einen Unterschied zum ursprünglichen Befund. Er ist verständlich, weil man ihn "
        "leicht übersehen kann, und ist für Ihre Behandlung wahrscheinlich nicht von Bedeutung."
    ),
    "radpeer.2b": (
        "Es gibt einen Unterschied zum ursprünglichen Befund. Er ist verständlich, weil man ihn "
        "leicht übersehen kann, ist für Ihre Behandlung aber wahrscheinlich von Bedeutung."
    ),
    "radpeer.3a": (
        "Es gibt einen Unterschied zum ursprünglichen Befund, der den meisten Radiologinnen und "
        "Radiologen aufgefallen wäre. Für Ihre Behandlung ist er wahrscheinlich nicht von Bedeutung."
    ),
    "radpeer.3b": (
        "Es gibt einen Unterschied zum ursprünglichen Befund, der den meisten Radiologinnen und "
        "Radiologen aufgefallen wäre. Für Ihre Behandlung ist er wahrscheinlich von Bedeutung."
    ),
    "recommendations_heading": "Mit Ihrer Ärztin oder Ihrem Arzt zu besprechen",
    "recommendations_intro": (
        "Es wird empfohlen, diese Punkte mit Ihrer behandelnden Ärztin oder Ihrem behandelnden Arzt "
        "zu besprechen:"
    ),
    "no_recommendations": "Es gibt keine weiteren Empfehlungen.",
    "disclaimer_heading": "Wichtiger Hinweis",
    "disclaimer": (
        "Diese Zweitmeinung ist eine Beurteilung Ihrer Bilder durch eine unabhängige Radiologin oder "
        "einen unabhängigen Radiologen. Sie ist weder eine Diagnose noch ein Behandlungsplan. Bitte "
        "besprechen Sie sie mit Ihrer behandelnden Ärztin oder Ihrem behandelnden Arzt, bevor Sie "
        "Entscheidungen über Ihre Gesundheit oder Ihre Behandlung treffen."
    ),
    "about_heading": "Angaben zu diesem Bericht",
    "radiologist_label": "Verfasst von",
    "subspecialty_label": "Fachgebiet",
    "institution_label": "Einrichtung",
    "issued_label": "Ausgestellt am",
    "verification_label": "Prüfcode",
    "verification_hint": (
        "Geben Sie diesen Code an, wenn Sie oder Ihre Ärztin oder Ihr Arzt die Echtheit dieses "
        "Berichts prüfen lassen möchten."
    ),
    "page_label": "Seite {page} von {pages}",
    "date_format": "{day}. {month} {year}",
    "date_first_day": "1",
    "subspecialty.neuroradiology": "Neuroradiologie (Gehirn, Kopf, Wirbelsäule und Hals)",
    "subspecialty.musculoskeletal": "Muskuloskelettale Radiologie (Knochen, Gelenke und Muskeln)",
    "subspecialty.body_imaging": "Bildgebung des Rumpfes (Brustkorb, Bauch und Becken)",
    "subspecialty.breast_imaging": "Brustbildgebung",
    "subspecialty.nuclear_medicine": "Nuklearmedizin",
    "subspecialty.ultrasound": "Ultraschall",
    "subspecialty.chest": "Radiologie des Brustkorbs",
}

FR: dict[str, str] = {
    "title": "Deuxième avis radiologique",
    "translated_notice": (
        "Ce rapport a été traduit de la langue dans laquelle il a été rédigé. Si une formulation "
        "vous semble peu claire, parlez-en à votre médecin."
    ),
    "urgent_notice": (
        "Un résultat de ce rapport est signalé comme urgent. Veuillez contacter votre médecin dès "
        "que possible."
    ),
    "summary_heading": "Résumé en termes simples",
    "questions_heading": "Réponses à vos questions",
    "not_answered": "Ce rapport ne répond pas à cette question \u2014 veuillez la poser à votre médecin.",
    "findings_heading": "Constatations\u00a0: ce que montrent les images",
    "impression_heading": "Conclusion",
    "comparison_heading": "Comparaison avec l\u2019interprétation initiale",
    "radpeer_intro": (
        "Les radiologues utilisent une échelle standard, appelée RADPEER, pour comparer deux lectures "
        "des mêmes images. Une différence n\u2019est pas forcément une erreur, et les radiologues "
        "notent souvent un même cas de façon différente. Lisez donc le score avec les explications "
        "qui suivent."
    ),
    "radpeer_score_label": "Score",
    "radpeer_meaning_label": "Ce que cela signifie",
    "radpeer_reasoning_label": "Justification",
    "radpeer.1": "Ce deuxième avis est en accord avec l\u2019interprétation initiale.",
    "radpeer.2a": (
        "Il y a une différence avec l\u2019interprétation initiale. Elle est compréhensible, car "
        "facile à manquer, et il est peu probable qu\u2019elle compte pour votre prise en charge."
    ),
    "radpeer.2b": (
        "Il y a une différence avec l\u2019interprétation initiale. Elle est compréhensible, car "
        "facile à manquer, mais elle compte probablement pour votre prise en charge."
    ),
    "radpeer.3a": (
        "Il y a une différence avec l\u2019interprétation initiale, que la plupart des radiologues "
        "auraient remarquée. Il est peu probable qu\u2019elle compte pour votre prise en charge."
    ),
    "radpeer.3b": (
        "Il y a une différence avec l\u2019interprétation initiale, que la plupart des radiologues "
        "auraient remarquée. Elle compte probablement pour votre prise en charge."
    ),
    "recommendations_heading": "À discuter avec votre médecin",
    "recommendations_intro": (
        "Il vous est conseillé de discuter des points suivants avec le médecin qui vous suit\u00a0:"
    ),
    "no_recommendations": "Il n\u2019y a pas d\u2019autre recommandation.",
    "disclaimer_heading": "Important",
    "disclaimer": (
        "Ce deuxième avis est une interprétation de vos images par un radiologue indépendant. Ce "
        "n\u2019est ni un diagnostic ni un plan de traitement. Parlez-en avec le médecin qui vous suit "
        "avant de prendre toute décision concernant votre santé ou votre traitement."
    ),
    "about_heading": "À propos de ce rapport",
    "radiologist_label": "Radiologue",
    "subspecialty_label": "Domaine de spécialité",
    "institution_label": "Établissement",
    "issued_label": "Date d\u2019émission",
    "verification_label": "Code de vérification",
    "verification_hint": (
        "Indiquez ce code si vous ou votre médecin souhaitez vérifier l\u2019authenticité de ce rapport."
    ),
    "page_label": "Page {page} sur {pages}",
    "date_format": "{day} {month} {year}",
    "date_first_day": "1er",
    "subspecialty.neuroradiology": "Neuroradiologie (cerveau, tête, colonne vertébrale et cou)",
    "subspecialty.musculoskeletal": "Radiologie ostéo-articulaire (os, articulations et muscles)",
    "subspecialty.body_imaging": "Imagerie du tronc (thorax, abdomen et bassin)",
    "subspecialty.breast_imaging": "Imagerie du sein",
    "subspecialty.nuclear_medicine": "Médecine nucléaire",
    "subspecialty.ultrasound": "Échographie",
    "subspecialty.chest": "Radiologie thoracique",
}

IT: dict[str, str] = {
    "title": "Secondo parere radiologico",
    "translated_notice": (
        "Questo referto è stato tradotto dalla lingua in cui è stato redatto. Se una formulazione "
        "non Le è chiara, ne parli con il Suo medico."
    ),
    "urgent_notice": (
        "In questo referto un reperto è segnalato come urgente. Contatti il Suo medico il prima possibile."
    ),
    "summary_heading": "Riassunto in parole semplici",
    "questions_heading": "Risposte alle Sue domande",
    "not_answered": (
        "Questo referto non risponde a questa domanda: La preghiamo di rivolgerla al Suo medico."
    ),
    "findings_heading": "Reperti: cosa mostrano le immagini",
    "impression_heading": "Conclusioni",
    "comparison_heading": "Confronto con la lettura originale",
    "radpeer_intro": (
        "I radiologi usano una scala standard, chiamata RADPEER, per confrontare due letture delle "
        "stesse immagini. Una differenza non è per forza un errore, e spesso i radiologi valutano lo "
        "stesso caso in modo diverso. Legga quindi il punteggio insieme alla motivazione che segue."
    ),
    "radpeer_score_label": "Punteggio",
    "radpeer_meaning_label": "Cosa significa",
    "radpeer_reasoning_label": "Motivazione",
    "radpeer.1": "Questo secondo parere concorda con la lettura originale.",
    "radpeer.2a": (
        "C\u2019è una differenza rispetto alla lettura originale. È comprensibile, perché è facile "
        "non notarla, ed è improbabile che conti per le Sue cure."
    ),
    "radpeer.2b": (
        "C\u2019è una differenza rispetto alla lettura originale. È comprensibile, perché è facile "
        "non notarla, ma probabilmente conta per le Sue cure."
    ),
    "radpeer.3a": (
        "C\u2019è una differenza rispetto alla lettura originale che la maggior parte dei radiologi "
        "avrebbe notato. È improbabile che conti per le Sue cure."
    ),
    "radpeer.3b": (
        "C\u2019è una differenza rispetto alla lettura originale che la maggior parte dei radiologi "
        "avrebbe notato. Probabilmente conta per le Sue cure."
    ),
    "recommendations_heading": "Da discutere con il Suo medico",
    "recommendations_intro": "Le consigliamo di discutere questi punti con il medico che La segue:",
    "no_recommendations": "Non ci sono altre raccomandazioni.",
    "disclaimer_heading": "Avvertenza importante",
    "disclaimer": (
        "Questo secondo parere è un\u2019interpretazione delle Sue immagini da parte di un radiologo "
        "indipendente. Non è una diagnosi né un piano di cura. Ne parli con il medico che La segue "
        "prima di prendere qualsiasi decisione sulla Sua salute o sulle Sue cure."
    ),
    "about_heading": "Informazioni su questo referto",
    "radiologist_label": "Redatto da",
    "subspecialty_label": "Area di specializzazione",
    "institution_label": "Struttura",
    "issued_label": "Data di emissione",
    "verification_label": "Codice di verifica",
    "verification_hint": (
        "Indichi questo codice se Lei o il Suo medico desiderate verificare l\u2019autenticità di "
        "questo referto."
    ),
    "page_label": "Pagina {page} di {pages}",
    "date_format": "{day} {month} {year}",
    "date_first_day": "1",
    "subspecialty.neuroradiology": "Neuroradiologia (cervello, testa, colonna vertebrale e collo)",
    "subspecialty.musculoskeletal": "Radiologia muscoloscheletrica (ossa, articolazioni e muscoli)",
    "subspecialty.body_imaging": "Diagnostica per immagini del tronco (torace, addome e bacino)",
    "subspecialty.breast_imaging": "Diagnostica per immagini del seno",
    "subspecialty.nuclear_medicine": "Medicina nucleare",
    "subspecialty.ultrasound": "Ecografia",
    "subspecialty.chest": "Radiologia del torace",
}

TEXTS: dict[Language, dict[str, str]] = {
    Language.EN: EN,
    Language.DE: DE,
    Language.FR: FR,
    Language.IT: IT,
}

MONTHS: dict[Language, tuple[str, ...]] = {
    Language.EN: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    Language.DE: (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    Language.FR: (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    Language.IT: (
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ),
}
