import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict
from core.models import AuditEvent, ExchangeRate
from core.signals import evidence_changed
from lots import services
from lots.models import Lot, LotStatus, Variety
from tests.lots.conftest import lot_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence():
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["lot_id"], kwargs["kind"]))

    evidence_changed.connect(receiver, weak=False)
    yield received
    evidence_changed.disconnect(receiver)


# --- farms and plots ---------------------------------------------------------------------------


def test_producer_registers_a_farm_and_a_point_plot(producer):
    farm = services.farm_create(producer=producer, data={"name": "Alto", "country": "co", "region": "Nariño"})
    assert farm.country == "CO"
    plot = services.plot_create(
        farm=farm,
        by=producer,
        data={
            "name": "P1",
            "area_ha": "3.5",
            "geometry": {"type": "Point", "coordinates": [-77.123456, 1.212345]},
            "varieties": ["Geisha", "caturra"],
        },
    )
    assert {v.name for v in plot.varieties.all()} == {"Gesha", "Caturra"}
    assert AuditEvent.objects.filter(action="plot.created").count() == 1


def test_a_point_plot_above_four_hectares_is_refused_and_nothing_is_saved(farm, producer):
    with pytest.raises(ValidationError) as exc:
        services.plot_create(
            farm=farm,
            by=producer,
            data={"name": "Big", "area_ha": "12", "geometry": {"type": "Point", "coordinates": [1, 1]}},
        )
    assert "geometry" in exc.value.message_dict
    assert not farm.plots.filter(name="Big").exists()


def test_growing_a_point_plot_beyond_four_hectares_needs_a_polygon(plot, producer):
    with pytest.raises(ValidationError) as exc:
        services.plot_update(plot=plot, by=producer, data={"area_ha": "9"})
    assert "geometry" in exc.value.message_dict


def test_second_producer_cannot_add_a_plot_to_my_farm(farm, second_producer):
    with pytest.raises(PermissionDenied):
        services.plot_create(farm=farm, by=second_producer, data={"name": "X", "area_ha": "1"})


def test_roaster_cannot_register_a_farm(roaster):
    with pytest.raises(PermissionDenied):
        services.farm_create(producer=roaster, data={"name": "No", "country": "CO"})


# --- varieties ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Geisha", "Gesha"),
        ("  GESHA ", "Gesha"),
        ("Bourbon Rosado", "Pink Bourbon"),
        ("pink bourbon", "Pink Bourbon"),
        ("SL-28", "SL28"),
        ("sl 28", "SL28"),
        ("Typica Mejorado", "Typica Mejorado"),
        ("Heirloom", "Ethiopian landrace"),
        ("Catuai", "Catuaí"),
        ("Bourbon Pointu", "Laurina"),
    ],
)
def test_variety_spellings_normalise_to_the_canonical_name(spelling, canonical):
    assert services.variety_normalise(spelling).name == canonical


def test_unknown_variety_is_kept_as_declared(producer, farm, plot):
    lot = services.lot_create(producer=producer, data=lot_data(variety="Wush Wush Rojo", farm=farm, plots=[plot]))
    assert lot.variety is None
    assert lot.variety_as_declared == "Wush Wush Rojo"


def test_data_migration_seeded_the_canonical_varieties():
    assert Variety.objects.filter(name__in=["Gesha", "Pink Bourbon", "SL28", "Sidra", "Typica Mejorado"]).count() == 5


# --- lots --------------------------------------------------------------------------------------


def test_create_draft_lot_normalises_variety_and_prices(draft):
    assert draft.status == LotStatus.DRAFT
    assert draft.variety.name == "Gesha"
    assert draft.variety_as_declared == "Geisha"
    assert draft.classification == "micro"
    assert draft.price_usd_per_kg == Decimal("30.0000")
    assert draft.price_usd_per_lb == Decimal("13.6078")


def test_price_per_lb_in_euros_is_normalised_to_usd_per_kg(producer, farm, plot):
    ExchangeRate.objects.create(currency="EUR", usd_per_unit=Decimal("1.10"), valid_on=datetime.date(2026, 11, 1))
    lot = services.lot_create(
        producer=producer, data=lot_data(price=Decimal("10"), currency="EUR", price_unit="lb", farm=farm, plots=[plot])
    )
    # 10 EUR/lb = 22.0462... EUR/kg = 24.2508... USD/kg
    assert lot.price_usd_per_kg == Decimal("24.2508")


def test_unknown_exchange_rate_leaves_usd_price_empty_until_a_rate_arrives(producer, farm, plot):
    lot = services.lot_create(producer=producer, data=lot_data(currency="COP", price=Decimal("120000"), farm=farm))
    assert lot.price_usd_per_kg is None
    ExchangeRate.objects.create(currency="COP", usd_per_unit=Decimal("0.00025"), valid_on=datetime.date(2026, 11, 1))
    assert services.lots_reprice() == 1
    lot.refresh_from_db()
    assert lot.price_usd_per_kg == Decimal("30.0000")


@pytest.mark.parametrize(
    ("weight", "classification"),
    [
        ("49.99", "nano"),
        ("50", "small"),
        ("99.99", "small"),
        ("100", "micro"),
        ("1000", "micro"),
        ("1000.01", "regular"),
    ],
)
def test_classification_follows_the_green_weight(producer, weight, classification):
    lot = services.lot_create(producer=producer, data=lot_data(weight_kg=Decimal(weight), code=f"W{weight}"))
    assert lot.classification == classification


def test_additives_disclosure_is_mandatory(producer):
    data = lot_data()
    del data["additives"]
    with pytest.raises(ValidationError) as exc:
        services.lot_create(producer=producer, data=data)
    assert "additives" in exc.value.message_dict
    assert not Lot.objects.exists()


def test_an_infused_lot_must_say_what_was_added(producer):
    with pytest.raises(ValidationError) as exc:
        services.lot_create(producer=producer, data=lot_data(additives="infused"))
    assert "additives_detail" in exc.value.message_dict
    lot = services.lot_create(producer=producer, data=lot_data(additives="infused", additives_detail="passion fruit"))
    assert lot.is_infused


def test_honey_process_needs_its_colour(producer):
    with pytest.raises(ValidationError) as exc:
        services.lot_create(producer=producer, data=lot_data(process="honey"))
    assert "honey_colour" in exc.value.message_dict


def test_harvest_cannot_end_before_it_starts(producer):
    with pytest.raises(ValidationError) as exc:
        services.lot_create(
            producer=producer,
            data=lot_data(harvest_start=datetime.date(2025, 11, 1), harvest_end=datetime.date(2025, 10, 1)),
        )
    assert "harvest_end" in exc.value.message_dict


def test_duplicate_lot_code_is_refused_with_a_field_error(draft, producer):
    with pytest.raises(ValidationError) as exc:
        services.lot_create(producer=producer, data=lot_data())
    assert "code" in exc.value.message_dict


def test_plots_of_another_producer_are_refused(producer, second_producer):
    from tests.factories import PlotFactory

    foreign = PlotFactory(farm__producer=second_producer)
    with pytest.raises(ValidationError) as exc:
        services.lot_create(producer=producer, data=lot_data(plots=[foreign]))
    assert "plots" in exc.value.message_dict


def test_group_lot_names_its_members(producer):
    from accounts.models import GroupMember

    profile = producer.producer_profile
    profile.is_group = True
    profile.save()
    ana = GroupMember.objects.create(profile=profile, name="Ana Pérez")
    luis = GroupMember.objects.create(profile=profile, name="Luis Gómez")
    lot = services.lot_create(producer=producer, data=lot_data(group_members=[ana, luis]))
    assert {m.name for m in lot.group_members.all()} == {"Ana Pérez", "Luis Gómez"}
    listed = services.lot_transition(lot=lot, to="listed", by=producer)
    assert listed.status == "listed"


def test_update_with_current_version_changes_the_lot_and_signals_evidence(draft, producer, evidence):
    lot = services.lot_update(
        lot=draft,
        by=producer,
        data={"weight_kg": Decimal("40"), "price": Decimal("45")},
        expected_version=draft.version,
    )
    assert lot.version == draft.version + 1
    assert lot.classification == "nano"
    assert lot.price_usd_per_kg == Decimal("45.0000")
    assert {kind for _id, kind in evidence} == {"weight", "price"}


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(draft, producer):
    services.lot_update(lot=draft, by=producer, data={"name": "First"}, expected_version=draft.version)
    with pytest.raises(Conflict):
        services.lot_update(lot=draft, by=producer, data={"name": "Second"}, expected_version=draft.version)
    draft.refresh_from_db()
    assert draft.name == "First"


def test_second_producer_cannot_edit_my_lot(draft, second_producer):
    with pytest.raises(PermissionDenied):
        services.lot_update(lot=draft, by=second_producer, data={"name": "Mine now"}, expected_version=draft.version)


def test_origin_and_process_changes_signal_evidence(draft, producer, evidence, farm):
    from tests.factories import PlotFactory

    other = PlotFactory(farm=farm, name="Other")
    services.lot_update(
        lot=draft,
        by=producer,
        data={"plots": [other], "process": "natural", "harvest_year": 2025, "harvest_start": datetime.date(2025, 9, 1)},
        expected_version=draft.version,
    )
    assert {kind for _id, kind in evidence} == {"origin", "process", "harvest_year"}


# --- status ------------------------------------------------------------------------------------


def test_listing_a_draft_sets_listed_at_and_is_audited(draft, producer):
    lot = services.lot_transition(lot=draft, to="listed", by=producer)
    assert lot.status == "listed" and lot.listed_at is not None
    audit = AuditEvent.objects.get(action="lot.status_changed")
    assert audit.data == {"from": "draft", "to": "listed", "reason": ""}


def test_repeating_a_transition_is_quiet(draft, producer):
    services.lot_transition(lot=draft, to="listed", by=producer)
    services.lot_transition(lot=draft, to="listed", by=producer)
    assert AuditEvent.objects.filter(action="lot.status_changed").count() == 1


def test_a_lot_without_plots_or_group_members_cannot_be_listed(producer):
    lot = services.lot_create(producer=producer, data=lot_data())
    with pytest.raises(ValidationError):
        services.lot_transition(lot=lot, to="listed", by=producer)


def test_illegal_transition_is_a_conflict(draft, producer):
    with pytest.raises(Conflict):
        services.lot_transition(lot=draft, to="sold_out", by=producer)


def test_trade_services_may_reserve_a_listed_lot_for_a_buyer_but_not_withdraw_it(draft, producer, roaster):
    services.lot_transition(lot=draft, to="listed", by=producer)
    assert services.lot_transition(lot=draft, to="reserved", by=roaster, system=True).status == "reserved"
    assert services.lot_transition(lot=draft, to="sold_out", by=None).status == "sold_out"
    with pytest.raises(PermissionDenied):
        services.lot_transition(lot=draft, to="withdrawn", by=roaster, system=True)
    with pytest.raises(PermissionDenied):
        services.lot_withdraw(lot=draft, by=roaster)


def test_a_buyer_acting_for_themselves_cannot_move_a_listed_lot(draft, producer, roaster, second_producer):
    """Issue 13: only the owner, a moderator or the system acting for an order moves a lot."""
    services.lot_transition(lot=draft, to="listed", by=producer)
    for actor in (roaster, second_producer):
        for to in ("reserved", "sold_out", "withdrawn", "draft", "listed"):
            with pytest.raises(PermissionDenied):
                services.lot_transition(lot=draft, to=to, by=actor)
    assert Lot.objects.get(pk=draft.pk).status == "listed"


def test_outsider_cannot_list_someone_elses_draft(draft, outsider):
    with pytest.raises(PermissionDenied):
        services.lot_transition(lot=draft, to="listed", by=outsider)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_withdraw_then_back_to_draft(draft, producer):
    services.lot_withdraw(lot=draft, by=producer, reason="sold locally")
    assert Lot.objects.get(pk=draft.pk).status == "withdrawn"
    assert services.lot_transition(lot=draft, to="draft", by=producer).status == "draft"


def test_weight_below_the_reserved_kilograms_is_refused(draft, producer):
    Lot.objects.filter(pk=draft.pk).update(reserved_kg=Decimal("200"))
    draft.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.lot_update(lot=draft, by=producer, data={"weight_kg": Decimal("150")}, expected_version=draft.version)
    assert "weight_kg" in exc.value.message_dict


def test_origin_country_follows_the_farm_and_the_group(draft, producer, farm):
    assert draft.origin_country == "CO"
    # The farm's plots must lie in its new country: a plot at Tulcán, on the Ecuadorian side of the border.
    farm.plots.update(geometry={"type": "Point", "coordinates": [Decimal("-77.717300"), Decimal("0.811900")]})
    services.farm_update(farm=farm, by=producer, data={"country": "EC"})
    draft.refresh_from_db()
    assert draft.origin_country == "EC"
    producer.producer_profile.country = "PE"
    producer.producer_profile.save()
    group_lot = services.lot_create(producer=producer, data=lot_data(code="G-1"))
    assert group_lot.origin_country == "PE"


def test_moving_a_lot_to_another_farm_needs_that_farms_plots(draft, producer):
    from tests.factories import FarmFactory, PlotFactory

    other = FarmFactory(producer=producer, name="Other farm")
    with pytest.raises(ValidationError) as exc:
        services.lot_update(lot=draft, by=producer, data={"farm": other}, expected_version=draft.version)
    assert "plots" in exc.value.message_dict
    new_plot = PlotFactory(farm=other)
    moved = services.lot_update(
        lot=draft, by=producer, data={"farm": other, "plots": [new_plot]}, expected_version=draft.version
    )
    assert moved.farm == other and list(moved.plots.all()) == [new_plot]
