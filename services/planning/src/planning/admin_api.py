"""Staff HTTP entry points under /api/planning/admin/ (role ``planning_staff``, or admin).

API.md fixes six paths (activities, months, closures, enrolments, daily-lists,
attendance); the others are planning's own.
"""

from __future__ import annotations

from aiohttp import web
from servicekit.openapi import Route
from servicekit.requests import path_uuid, read_json, read_query
from servicekit.web import model_response

from .domain import Month
from .schemas import admin as s
from .service import catalog, children, closures, lists
from .web import MONTH_PARAM, STAFF_ROLE, csv_response, path_month, planning, staff

ADMIN = "/api/planning/admin"
ACCESS = "planning_staff or admin (403 otherwise)."
TAG = "Planning (staff)"


async def create_school_year(request: web.Request) -> web.Response:
    staff(request)
    year, created = await catalog.create_school_year(planning(request), await read_json(request, s.SchoolYearIn))
    return model_response(year, status=201 if created else 200)


async def list_school_years(request: web.Request) -> web.Response:
    staff(request)
    return model_response(await catalog.school_years(planning(request)))


async def create_activity(request: web.Request) -> web.Response:
    staff(request)
    cmd = await read_json(request, s.ActivityIn)
    return model_response(await catalog.create_activity(planning(request), cmd), status=201)


async def update_activity(request: web.Request) -> web.Response:
    staff(request)
    activity_id = path_uuid(request)
    cmd = await read_json(request, s.ActivityUpdate)
    return model_response(await catalog.update_activity(planning(request), activity_id, cmd))


async def list_activities(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.ActivitiesQuery)
    return model_response(await catalog.activities(planning(request), query.school_year))


async def set_month(request: web.Request) -> web.Response:
    staff(request)
    month = path_month(request)
    cmd = await read_json(request, s.MonthIn)
    return model_response(await catalog.set_month(planning(request), month, cmd.open))


async def list_months(request: web.Request) -> web.Response:
    staff(request)
    return model_response(await catalog.open_months(planning(request)))


async def create_closure(request: web.Request) -> web.Response:
    staff(request)
    cmd = await read_json(request, s.ClosureIn)
    answer, created = await closures.add_closure(planning(request), cmd)
    return model_response(answer, status=201 if created else 200)


async def list_closures(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.PeriodQuery)
    return model_response(await closures.closures(planning(request), query.from_, query.to))


async def delete_closure(request: web.Request) -> web.Response:
    staff(request)
    await closures.remove_closure(planning(request), path_uuid(request))
    return web.Response(status=204)


async def create_school_holiday(request: web.Request) -> web.Response:
    staff(request)
    cmd = await read_json(request, s.SchoolHolidayIn)
    return model_response(await catalog.add_school_holiday(planning(request), cmd), status=201)


async def list_school_holidays(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.SchoolYearQuery)
    return model_response(await catalog.school_holidays(planning(request), query.school_year))


async def get_deadline(request: web.Request) -> web.Response:
    staff(request)
    return model_response(await catalog.deadline(planning(request)))


async def put_deadline(request: web.Request) -> web.Response:
    staff(request)
    cmd = await read_json(request, s.DeadlineIn)
    return model_response(await catalog.set_deadline(planning(request), cmd))


async def create_enrolment(request: web.Request) -> web.Response:
    staff(request)
    cmd = await read_json(request, s.EnrolmentIn)
    return model_response(await children.enrol(planning(request), cmd), status=201)


async def list_enrolments(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.EnrolmentsQuery)
    return model_response(await children.enrolments(planning(request), query))


async def daily_list(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.DayQuery)
    return model_response(await lists.daily_list(planning(request), query.date))


async def mark_attendance(request: web.Request) -> web.Response:
    who = staff(request)
    cmd = await read_json(request, s.AttendanceIn)
    return model_response(await lists.mark_attendance(planning(request), who, cmd))


async def export_daily_list(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.DayQuery)
    text = await lists.daily_list_csv(planning(request), query.date)
    return csv_response(text, f"liste-du-jour-{query.date.isoformat()}.csv")


async def export_reservations(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, s.MonthQuery)
    month = Month.parse(query.month)
    text = await lists.month_reservations_csv(planning(request), month)
    return csv_response(text, f"reservations-{month}.csv")


CLOSURE_EFFECTS = (
    "Days already booked on the closed dates are cancelled in the same transaction: each confirmed (paid) "
    "reservation is cancelled, its place freed and `planning.reservation.cancelled` (`reason: closure`) "
    "published — billing credits what was paid, in full, whatever the deadline; pending basket lines on those "
    "days are withdrawn (a basket being paid gives its held places back and those days are never confirmed: "
    "billing credits their share of the payment); each family concerned gets one "
    "`planning.closure.days_cancelled` (an e-mail). The answer counts them: `cancelled_reservations`, "
    "`withdrawn_basket_lines`, `families_notified`. The same closure (activity, dates, label) posted again "
    "answers 200 with its id and, normally, zero everywhere: nothing is cancelled or credited twice."
)


CLOSURE_REMOVAL = (
    "Its days become bookable again at once (every grid is read afresh). What it cancelled stays cancelled: "
    "the families were credited in full and told by e-mail; they book again if they wish."
)


def _route(method, path, handler, summary, **kw) -> Route:
    return Route(
        method,
        ADMIN + path,
        handler,
        summary,
        TAG,
        access=ACCESS,
        roles=(STAFF_ROLE,),
        operation_id=f"planning_admin_{handler.__name__}",
        **kw,
    )


ROUTES = (
    _route("POST", "/school-years", create_school_year, "Create a school year (200 if it exists)",
           body=s.SchoolYearIn, response=s.SchoolYearOut, status=201),
    _route("GET", "/school-years", list_school_years, "The school years", response=s.SchoolYearList),
    _route("POST", "/activities", create_activity, "Create an activity of a school year",
           body=s.ActivityIn, response=s.ActivityOut, status=201, errors=(409,)),
    _route("GET", "/activities", list_activities, "The activities (of one school year with ?school_year=)",
           query=s.ActivitiesQuery, response=s.AdminActivityList, errors=(422,)),
    _route("PUT", "/activities/{id}", update_activity, "Change an activity (name, days, times, capacity, limits)",
           body=s.ActivityUpdate, response=s.ActivityOut, errors=(404,)),
    _route("PUT", "/months/{month}", set_month, "Open or close a month (YYYY-MM) for booking",
           body=s.MonthIn, response=s.MonthOut, path_params=(MONTH_PARAM,)),
    _route("GET", "/months", list_months, "The months open for booking", response=s.MonthList),
    _route("POST", "/closures", create_closure, "Close one activity (or all) from one date to another",
           body=s.ClosureIn, response=s.ClosureCreated, status=201, errors=(404,), description=CLOSURE_EFFECTS),
    _route("GET", "/closures", list_closures, "Closures overlapping ?from=&to=",
           query=s.PeriodQuery, response=s.ClosureList, errors=(422,)),
    _route("DELETE", "/closures/{id}", delete_closure, "Remove a closure entered by mistake",
           status=204, errors=(404,), description=CLOSURE_REMOVAL),
    _route("POST", "/school-holidays", create_school_holiday, "Add a school-holiday period to a school year",
           body=s.SchoolHolidayIn, response=s.SchoolHolidayOut, status=201, errors=(404,)),
    _route("GET", "/school-holidays", list_school_holidays, "School holidays in force (official and staff's)",
           query=s.SchoolYearQuery, response=s.SchoolHolidayList, errors=(404, 422)),
    _route("GET", "/deadline-rule", get_deadline, "The booking and cancellation deadlines", response=s.DeadlineOut),
    _route("PUT", "/deadline-rule", put_deadline, "Change the booking and cancellation deadlines",
           body=s.DeadlineIn, response=s.DeadlineOut),
    _route("POST", "/enrolments", create_enrolment, "Enrol a child (known from accounts) in an activity",
           body=s.EnrolmentIn, response=s.EnrolmentOut, status=201, errors=(404,)),
    _route("GET", "/enrolments", list_enrolments, "Enrolments (?activity_id=, ?child_id=)",
           query=s.EnrolmentsQuery, response=s.EnrolmentList, errors=(422,)),
    _route("GET", "/daily-lists", daily_list, "Who is expected where on ?date= (confirmed bookings), meal count",
           query=s.DayQuery, response=s.DailyList, errors=(422,)),
    _route("POST", "/attendance", mark_attendance, "Mark a child present or absent on a day",
           body=s.AttendanceIn, response=s.AttendanceOut, errors=(404,)),
    _route("GET", "/exports/daily-list", export_daily_list, "The daily list of ?date= as CSV",
           query=s.DayQuery, download=("text/csv",), errors=(422,)),
    _route("GET", "/exports/reservations", export_reservations, "The confirmed bookings of ?month=YYYY-MM as CSV",
           query=s.MonthQuery, download=("text/csv",), errors=(422,)),
)  # fmt: skip
