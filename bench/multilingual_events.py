"""A multilingual evaluation set for story grouping, written for wirewatch by hand.

Each event is reported by one or more headlines in different wordings and languages
(en, fr, es, de, tr, ru, ar, fa). Events come in families: one event and its look-alikes
(the same kind of event at another place, with other numbers, or in the opposite
direction), so a method that groups by topic alone loses precision here. The headlines
are invented for this set (places and institutions are real, the events are not reports
of real ones) and copied from nowhere.

``HEADLINES`` lists (event id, language, headline) in the order a monitor would read
them: a family's reports and look-alikes interleaved, one minute apart.
"""

from __future__ import annotations

from typing import Final

Headline = tuple[str, str, str]  # (event id, language, headline)

_FAMILIES: Final[tuple[tuple[Headline, ...], ...]] = (
    (
        ("quake-van", "en", "Magnitude 6.1 earthquake strikes eastern Turkey's Van province"),
        ("quake-van", "tr", "Van'da 6,1 büyüklüğünde deprem"),
        ("quake-kermanshah", "en", "5.4 quake shakes Kermanshah in western Iran"),
        ("quake-van", "ru", "Землетрясение магнитудой 6,1 произошло на востоке Турции"),
        ("quake-kermanshah", "fa", "زلزله ۵.۴ ریشتری کرمانشاه را لرزاند"),
        ("quake-van", "fa", "زمین‌لرزه ۶.۱ ریشتری استان وان ترکیه را لرزاند"),
        ("quake-van", "en", "Strong quake of magnitude 6.1 hits Van, eastern Turkey"),
        ("quake-arequipa", "es", "Un sismo de magnitud 6,1 sacude Arequipa, en el sur de Perú"),
    ),
    (
        ("strike-aleppo", "en", "Air strike on Aleppo hospital kills nine"),
        ("strike-aleppo", "ar", "مقتل تسعة في غارة جوية على مستشفى في حلب"),
        ("strike-idlib", "ar", "غارة جوية على سوق في إدلب تقتل 14 شخصا"),
        ("strike-aleppo", "fr", "Alep : neuf morts dans une frappe aérienne sur un hôpital"),
        ("strike-aleppo", "en", "Nine dead after warplanes bomb hospital in Aleppo"),
        ("strike-idlib", "en", "Fourteen killed as air raid hits Idlib market"),
    ),
    (
        ("cbrt-hike", "en", "Turkey's central bank raises main rate to 50%"),
        ("cbrt-hike", "tr", "Merkez Bankası politika faizini yüzde 50'ye yükseltti"),
        ("cbr-cut", "ru", "Банк России снизил ключевую ставку до 16%"),
        ("cbrt-hike", "de", "Türkische Notenbank erhöht Leitzins auf 50 Prozent"),
        ("cbr-cut", "en", "Russia's central bank cuts key rate to 16%"),
        ("cbrt-cut", "en", "Turkish central bank cuts rates to 45%"),
    ),
    (
        ("flood-valencia", "es", "Las inundaciones en Valencia dejan 12 muertos"),
        ("flood-valencia", "en", "Floods in Spain's Valencia region kill 12"),
        ("flood-bavaria", "de", "Hochwasser in Bayern: drei Tote"),
        ("flood-valencia", "fr", "Inondations à Valence : douze morts"),
        ("flood-valencia", "es", "Valencia: 12 muertos por las inundaciones"),
        ("flood-bavaria", "en", "Three dead as floods hit Bavaria"),
    ),
    (
        ("pm-france", "fr", "Le président nomme un nouveau Premier ministre"),
        ("pm-france", "en", "French president appoints new prime minister"),
        ("pm-belgium", "fr", "Le roi des Belges charge un formateur de constituer le gouvernement"),
        ("pm-france", "es", "El presidente francés nombra a un nuevo primer ministro"),
        ("pm-belgium", "en", "Belgian king asks negotiator to form a government"),
    ),
    (
        ("oil-up", "en", "Oil prices rise after OPEC agrees to cut output"),
        ("oil-up", "ar", "ارتفاع أسعار النفط بعد اتفاق أوبك على خفض الإنتاج"),
        ("oil-down", "en", "Oil prices fall as OPEC moves to raise output"),
        ("oil-up", "ru", "Нефть дорожает после решения ОПЕК сократить добычу"),
        ("oil-up", "en", "Oil climbs as OPEC agrees output cut"),
        ("oil-down", "es", "El petróleo baja ante el aumento de la producción de la OPEP"),
    ),
    (
        ("fire-athens", "en", "Wildfire near Athens forces thousands to evacuate"),
        ("fire-athens", "fr", "Un incendie près d'Athènes force des milliers de personnes à fuir"),
        ("fire-california", "en", "California wildfire forces thousands from their homes"),
        ("fire-athens", "de", "Waldbrand bei Athen: Tausende müssen ihre Häuser verlassen"),
        ("fire-athens", "en", "Thousands flee as wildfire nears Athens"),
        ("fire-california", "es", "Un incendio en California obliga a evacuar a miles de personas"),
    ),
    (
        ("ferry-indonesia", "en", "Ferry sinks off Indonesia's Sulawesi, 30 missing"),
        ("ferry-indonesia", "fr", "Indonésie : 30 disparus après le naufrage d'un ferry"),
        ("ferry-bangladesh", "en", "Bangladesh river ferry capsizes, 18 dead"),
        ("ferry-indonesia", "ru", "У берегов Сулавеси затонул паром, 30 человек пропали без вести"),
    ),
    (
        ("protest-tehran", "fa", "اعتراض به گرانی بنزین در تهران"),
        ("protest-tehran", "en", "Protests erupt in Tehran over fuel price rise"),
        ("protest-baghdad", "ar", "احتجاجات في بغداد على انقطاع الكهرباء"),
        ("protest-tehran", "ar", "احتجاجات في طهران على رفع أسعار الوقود"),
        ("protest-baghdad", "en", "Baghdad protesters rally against power cuts"),
    ),
    (
        ("clasico-real", "es", "El Real Madrid gana 3-1 al Barcelona en el Bernabéu"),
        ("clasico-real", "en", "Real Madrid beat Barcelona 3-1 in the Clasico"),
        ("clasico-barca", "es", "El Barcelona vence 2-0 al Real Madrid"),
        ("clasico-real", "fr", "Le Real Madrid bat le FC Barcelone 3-1"),
        ("clasico-barca", "en", "Barcelona beat Real Madrid 2-0"),
    ),
    (
        ("train-egypt", "ar", "مصرع 20 شخصا في تصادم قطارين بمصر"),
        ("train-egypt", "en", "Train collision in Egypt kills 20"),
        ("train-india", "en", "Train derails in India, killing 20"),
        ("train-egypt", "fr", "Égypte : une collision entre deux trains fait 20 morts"),
        ("train-egypt", "en", "Two trains collide in Egypt, killing 20 people"),
    ),
    (
        ("gas-moscow", "ru", "Взрыв газа в жилом доме в Москве"),
        ("gas-moscow", "en", "Gas explosion rips through Moscow apartment block"),
        ("gas-istanbul", "tr", "İstanbul'da bir restoranda doğal gaz patlaması"),
        ("gas-moscow", "de", "Gasexplosion in Moskauer Wohnhaus"),
        ("gas-moscow", "ru", "В Москве в жилом доме взорвался газ"),
        ("gas-istanbul", "en", "Gas blast hits Istanbul restaurant"),
    ),
    (
        ("iaea-deal", "fa", "توافق ایران و آژانس بین‌المللی انرژی اتمی بر سر بازرسی‌ها"),
        ("iaea-deal", "en", "Iran and IAEA agree on new inspections"),
        ("iaea-fail", "en", "Iran's talks with the IAEA collapse without deal on inspections"),
        ("iaea-deal", "fr", "L'Iran et l'AIEA s'accordent sur de nouvelles inspections"),
        ("iaea-deal", "ar", "إيران والوكالة الدولية للطاقة الذرية تتفقان على عمليات التفتيش"),
        ("iaea-deal", "en", "IAEA and Iran reach inspections agreement"),
        ("iaea-fail", "fa", "مذاکرات ایران و آژانس بدون توافق پایان یافت"),
    ),
    (
        ("typhoon-philippines", "en", "Typhoon slams into northern Philippines, five dead"),
        ("typhoon-philippines", "es", "Un tifón golpea el norte de Filipinas y deja cinco muertos"),
        ("typhoon-japan", "en", "Typhoon makes landfall in southern Japan"),
        ("typhoon-japan", "de", "Taifun trifft auf Südjapan"),
    ),
    (
        ("drone-ryazan", "ru", "Беспилотники атаковали НПЗ в Рязани"),
        ("drone-ryazan", "en", "Ukrainian drones hit oil refinery in Russia's Ryazan"),
        ("drone-volgograd", "ru", "Беспилотники атаковали НПЗ в Волгограде"),
        ("drone-ryazan", "de", "Ukrainische Drohnen treffen Raffinerie in Rjasan"),
        ("drone-volgograd", "en", "Drones strike Volgograd refinery"),
    ),
    (
        ("recall-tesla", "en", "Tesla recalls 200,000 cars over camera fault"),
        ("recall-tesla", "de", "Tesla ruft 200.000 Autos wegen Kamerafehler zurück"),
        ("recall-toyota", "en", "Toyota recalls one million vehicles over airbags"),
        ("recall-tesla", "fr", "Tesla rappelle 200 000 voitures pour un défaut de caméra"),
        ("recall-tesla", "en", "Tesla to recall 200,000 vehicles for faulty cameras"),
        ("recall-toyota", "es", "Toyota llama a revisión a un millón de vehículos por los airbags"),
    ),
    (
        ("jobs-de-up", "de", "Arbeitslosenquote steigt auf 6,3 Prozent"),
        ("jobs-de-up", "en", "German unemployment rises to 6.3%"),
        ("jobs-de-down", "de", "Arbeitslosenquote sinkt auf 5,9 Prozent"),
        ("jobs-de-up", "fr", "Le chômage en Allemagne grimpe à 6,3 %"),
        ("jobs-de-down", "en", "German jobless rate falls to 5.9%"),
    ),
    (
        ("pope-lebanon", "fr", "Le pape arrive au Liban pour une visite de trois jours"),
        ("pope-lebanon", "ar", "البابا يصل إلى لبنان في زيارة تستمر ثلاثة أيام"),
        ("pope-iraq", "en", "Pope lands in Iraq for historic visit"),
        ("pope-lebanon", "es", "El papa llega al Líbano para una visita de tres días"),
        ("pope-lebanon", "en", "Pope arrives in Lebanon on three-day visit"),
        ("pope-iraq", "ar", "البابا يصل إلى العراق في زيارة تاريخية"),
    ),
    (
        ("hostage-mali", "fr", "Mali : un journaliste français libéré après deux ans de captivité"),
        ("hostage-mali", "en", "French journalist freed in Mali after two years"),
        ("kidnap-niger", "es", "Secuestran a un cooperante español en Níger"),
        ("hostage-mali", "ar", "الإفراج عن صحفي فرنسي في مالي بعد عامين من الأسر"),
        ("kidnap-niger", "en", "Spanish aid worker kidnapped in Niger"),
    ),
    (
        ("mayor-istanbul", "tr", "İstanbul Büyükşehir Belediye Başkanı'na hapis cezası"),
        ("mayor-istanbul", "en", "Istanbul mayor sentenced to prison"),
        ("mayor-ankara", "tr", "Ankara Büyükşehir Belediye Başkanı beraat etti"),
        ("mayor-istanbul", "de", "Istanbuler Bürgermeister zu Haftstrafe verurteilt"),
        ("mayor-istanbul", "tr", "İstanbul Büyükşehir Belediye Başkanı hapis cezasına çarptırıldı"),
        ("mayor-ankara", "en", "Ankara mayor acquitted"),
    ),
    (
        ("heat-spain", "es", "España registra 46 grados, récord de temperatura"),
        ("heat-spain", "en", "Spain sets temperature record of 46C"),
        ("heat-greece", "en", "Greece swelters as temperatures reach 44C"),
        ("heat-spain", "fr", "Canicule : l'Espagne enregistre un record de 46 degrés"),
        ("heat-greece", "de", "Hitzewelle in Griechenland: 44 Grad"),
    ),
    (
        ("volcano-iceland", "en", "Volcano erupts on Iceland's Reykjanes peninsula"),
        ("volcano-iceland", "de", "Vulkanausbruch auf Island"),
        ("volcano-merapi", "en", "Indonesia's Mount Merapi erupts again"),
        ("volcano-iceland", "fr", "Éruption volcanique en Islande"),
        ("volcano-merapi", "fr", "Nouvelle éruption du Merapi en Indonésie"),
    ),
    (
        ("bus-fars", "fa", "واژگونی اتوبوس در استان فارس ۱۱ کشته برجای گذاشت"),
        ("bus-fars", "en", "Bus overturns in Iran's Fars province, killing 11"),
        ("bus-turkey", "tr", "Konya'da otobüs kazası: 11 ölü"),
        ("bus-fars", "ar", "مقتل 11 شخصا في انقلاب حافلة في محافظة فارس الإيرانية"),
        ("bus-fars", "fa", "۱۱ کشته در واژگونی اتوبوس در فارس"),
        ("bus-turkey", "en", "Bus crash in Turkey's Konya kills 11"),
    ),
    (
        ("swap-90", "ru", "Россия и Украина обменялись пленными: 90 на 90"),
        ("swap-90", "en", "Russia and Ukraine swap 90 prisoners each"),
        (
            "talks-istanbul",
            "tr",
            "Rusya ile Ukrayna arasındaki İstanbul görüşmeleri sonuçsuz kaldı",
        ),
        ("swap-90", "tr", "Rusya ve Ukrayna 90'ar esir takas etti"),
        ("talks-istanbul", "en", "Russia-Ukraine talks in Istanbul end without agreement"),
        (
            "talks-istanbul",
            "ru",
            "Переговоры России и Украины в Стамбуле завершились без результата",
        ),
    ),
    (
        ("devalue-egypt", "ar", "مصر تخفض قيمة الجنيه"),
        ("devalue-egypt", "en", "Egypt devalues its pound"),
        ("devalue-nigeria", "en", "Nigeria devalues the naira"),
        ("devalue-egypt", "fr", "L'Égypte dévalue sa livre"),
        ("devalue-egypt", "ar", "البنك المركزي المصري يخفض سعر صرف الجنيه"),
        ("devalue-nigeria", "fr", "Le Nigeria dévalue le naira"),
    ),
    (
        ("fm-saudi-tehran", "ar", "وزير الخارجية السعودي يصل إلى طهران"),
        ("fm-saudi-tehran", "fa", "وزیر خارجه عربستان وارد تهران شد"),
        ("fm-iran-riyadh", "fa", "وزیر خارجه ایران وارد ریاض شد"),
        ("fm-saudi-tehran", "en", "Saudi foreign minister arrives in Tehran"),
        ("fm-iran-riyadh", "en", "Iranian foreign minister arrives in Riyadh"),
    ),
)

HEADLINES: Final[tuple[Headline, ...]] = tuple(item for family in _FAMILIES for item in family)
# Each event's family: events of one family and different ids are look-alikes.
FAMILY: Final[dict[str, int]] = {
    event: number for number, family in enumerate(_FAMILIES) for event, _, _ in family
}
