"""The catalog's procedures, described compactly for :mod:`motcua.catalog_builder`.

Each description names what differs between procedures: the people on the dossier, the intake
fields, the paper documents (and which a population-registry look-up replaces), the appraisal steps,
and the allotted hours per stage in today's procedure (as-is) and in "five at one place" (to-be).
Statutory facts (limits, fees, legal basis) live in each ``processes/<code>/manifest.toml``.
"""

from __future__ import annotations

from .catalog_builder import Field, Hours, Lookup, PaperDocument, ProcedureModel, Step

SEX = Field(
    "child_sex",
    "Giới tính của trẻ",
    "Sex of the child",
    enum=("male", "female"),
    enum_titles=("Nam", "Nữ"),
    example="female",
)

# Same-day procedures, as seen in one commune: reception 2 h, appraisal 3 h, signature 2 h, issue 1 h.
SAME_DAY_AS_IS = Hours(intake=2, transfer=1, appraisal=3, approval=2, stamping=1, ret=1)
SAME_DAY_TO_BE = Hours(intake=1, transfer=0, appraisal=2, approval=1, stamping=0.5, ret=0.5)


def _applicant_lookup(document: str = "CCCD") -> Lookup:
    return Lookup(
        "lookup_applicant",
        "Tra cứu thông tin công dân (CSDL dân cư)",
        "population.lookup",
        "applicant_lookup",
        document=document,
    )


PROCEDURES: list[ProcedureModel] = [
    ProcedureModel(
        code="birth_registration",
        name_vi="Đăng ký khai sinh",
        result_vi="Giấy khai sinh",
        fields=(
            Field(
                "child_full_name",
                "Họ và tên trẻ",
                "Child's full name",
                example="Nguyễn Thị Mai",
                max_length=100,
            ),
            Field(
                "child_date_of_birth",
                "Ngày sinh của trẻ",
                "Child's date of birth",
                format="date",
                example="2026-11-20",
            ),
            SEX,
            Field("place_of_birth", "Nơi sinh", "Place of birth", example="Bệnh viện Phụ sản Hà Nội"),
        ),
        documents=(
            PaperDocument("TK_KS", "Tờ khai đăng ký khai sinh", "Birth registration declaration"),
            PaperDocument("GCS", "Giấy chứng sinh", "Birth certificate from the hospital"),
            PaperDocument(
                "CCCD", "Bản sao căn cước của người yêu cầu", "Copy of the applicant's ID card", True
            ),
            PaperDocument(
                "GCNKH", "Giấy chứng nhận kết hôn của cha mẹ", "Parents' marriage certificate", True
            ),
        ),
        lookups=(
            _applicant_lookup(),
            Lookup(
                "lookup_marital_status",
                "Tra cứu tình trạng hôn nhân của cha mẹ",
                "population.marital_status",
                "marital_lookup",
                document="GCNKH",
            ),
        ),
        as_is_hours=SAME_DAY_AS_IS,
        to_be_hours=SAME_DAY_TO_BE,
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
        },
    ),
    ProcedureModel(
        code="death_registration",
        name_vi="Đăng ký khai tử",
        result_vi="Trích lục khai tử",
        subjects=(
            ("applicant", "người yêu cầu", "applicant"),
            ("deceased", "người chết", "deceased"),
        ),
        fields=(
            Field("date_of_death", "Ngày chết", "Date of death", format="date", example="2026-11-25"),
            Field("place_of_death", "Nơi chết", "Place of death", example="Phường Ba Đình, Hà Nội"),
            Field("cause_of_death", "Nguyên nhân chết", "Cause of death", required=False, example="Bệnh"),
        ),
        documents=(
            PaperDocument("TK_KT", "Tờ khai đăng ký khai tử", "Death registration declaration"),
            PaperDocument("GBT", "Giấy báo tử", "Death notice"),
            PaperDocument(
                "CCCD", "Bản sao căn cước của người yêu cầu", "Copy of the applicant's ID card", True
            ),
            PaperDocument("CCCD_NC", "Căn cước của người chết", "ID card of the deceased", True),
        ),
        lookups=(
            _applicant_lookup(),
            Lookup(
                "lookup_deceased",
                "Tra cứu thông tin người chết (CSDL dân cư)",
                "population.lookup",
                "deceased_lookup",
                subject="deceased",
                document="CCCD_NC",
            ),
        ),
        as_is_hours=SAME_DAY_AS_IS,
        to_be_hours=SAME_DAY_TO_BE,
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
            "deceased_full_name": "Nguyễn Văn Bình",
            "deceased_date_of_birth": "1940-02-03",
            "deceased_id_number": "001040001234",
        },
    ),
    ProcedureModel(
        code="marriage_registration",
        name_vi="Đăng ký kết hôn",
        result_vi="Giấy chứng nhận kết hôn",
        subjects=(
            ("applicant", "bên nam/bên nữ thứ nhất", "first party"),
            ("partner", "bên còn lại", "second party"),
        ),
        fields=(
            Field(
                "both_present",
                "Hai bên có mặt khi đăng ký",
                "Both parties present",
                type="boolean",
                example=True,
            ),
        ),
        documents=(
            PaperDocument("TK_KH", "Tờ khai đăng ký kết hôn", "Marriage registration declaration"),
            PaperDocument("XNTTHN", "Giấy xác nhận tình trạng hôn nhân", "Marital-status certificate", True),
            PaperDocument("CCCD", "Bản sao căn cước của hai bên", "Copies of both parties' ID cards", True),
        ),
        lookups=(
            Lookup(
                "lookup_marital_applicant",
                "Tra cứu tình trạng hôn nhân bên thứ nhất",
                "population.marital_status",
                "applicant_lookup",
                document="XNTTHN",
            ),
            Lookup(
                "lookup_marital_partner",
                "Tra cứu tình trạng hôn nhân bên còn lại",
                "population.marital_status",
                "partner_lookup",
                subject="partner",
                document="XNTTHN",
            ),
        ),
        as_is_hours=SAME_DAY_AS_IS,
        to_be_hours=SAME_DAY_TO_BE,
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
            "partner_full_name": "Trần Thị Bình",
            "partner_date_of_birth": "1992-08-09",
            "partner_id_number": "001192054321",
        },
    ),
    ProcedureModel(
        code="marital_status_certificate",
        name_vi="Cấp giấy xác nhận tình trạng hôn nhân",
        result_vi="Giấy xác nhận tình trạng hôn nhân",
        fields=(Field("purpose", "Mục đích sử dụng", "Purpose", example="Đăng ký kết hôn"),),
        documents=(
            PaperDocument("TK_XNHN", "Tờ khai cấp giấy xác nhận tình trạng hôn nhân", "Application form"),
            PaperDocument("CCCD", "Bản sao căn cước", "Copy of the ID card", True),
            PaperDocument("SHK", "Giấy tờ chứng minh nơi cư trú", "Proof of residence", True),
        ),
        lookups=(
            _applicant_lookup(),
            Lookup(
                "lookup_marital_status",
                "Tra cứu tình trạng hôn nhân",
                "population.marital_status",
                "marital_lookup",
            ),
            Lookup(
                "lookup_residence",
                "Tra cứu nơi cư trú",
                "population.residence",
                "residence_lookup",
                document="SHK",
            ),
        ),
        as_is_hours=Hours(intake=2, transfer=2, appraisal=12, approval=4, stamping=2, ret=2),
        to_be_hours=Hours(intake=1, transfer=0, appraisal=6, approval=2, stamping=1, ret=1),
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
        },
    ),
    ProcedureModel(
        code="permanent_residence",
        name_vi="Đăng ký thường trú",
        result_vi="Thông báo kết quả đăng ký thường trú",
        fields=(
            Field(
                "new_address",
                "Địa chỉ đăng ký thường trú",
                "Address to register",
                example="12 Phố Huế, Hà Nội",
            ),
            Field(
                "accommodation_basis",
                "Căn cứ chỗ ở hợp pháp",
                "Basis of lawful accommodation",
                enum=("owner", "rented", "relative"),
                enum_titles=("Chủ sở hữu", "Thuê, mượn, ở nhờ", "Về ở với người thân"),
                example="owner",
            ),
        ),
        documents=(
            PaperDocument(
                "TK_CT", "Tờ khai thay đổi thông tin cư trú (CT01)", "Residence change declaration (CT01)"
            ),
            PaperDocument("CHO_O", "Giấy tờ chứng minh chỗ ở hợp pháp", "Proof of lawful accommodation"),
            PaperDocument("CCCD", "Bản sao căn cước", "Copy of the ID card", True),
            PaperDocument(
                "HO_GD", "Xác nhận quan hệ với chủ hộ", "Proof of relationship to the household head", True
            ),
        ),
        lookups=(
            _applicant_lookup(),
            Lookup(
                "lookup_household",
                "Tra cứu thông tin hộ gia đình",
                "population.household",
                "household_lookup",
                document="HO_GD",
            ),
        ),
        as_is_hours=Hours(intake=4, transfer=2, appraisal=32, approval=8, stamping=4, ret=4),
        to_be_hours=Hours(intake=2, transfer=0, appraisal=16, approval=4, stamping=2, ret=2),
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
        },
    ),
    ProcedureModel(
        code="child_under6_bundle",
        name_vi="Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
        result_vi="Giấy khai sinh và thẻ bảo hiểm y tế",
        fields=(
            Field(
                "child_full_name",
                "Họ và tên trẻ",
                "Child's full name",
                example="Nguyễn Thị Mai",
                max_length=100,
            ),
            Field(
                "child_date_of_birth",
                "Ngày sinh của trẻ",
                "Child's date of birth",
                format="date",
                example="2026-11-20",
            ),
            SEX,
            Field(
                "residence_address",
                "Nơi đăng ký thường trú của trẻ",
                "Child's permanent residence",
                example="12 Phố Huế, Hà Nội",
            ),
        ),
        documents=(
            PaperDocument("TK_LT", "Tờ khai liên thông", "Joint declaration"),
            PaperDocument("GCS", "Giấy chứng sinh", "Birth certificate from the hospital"),
            PaperDocument("CCCD", "Bản sao căn cước của cha hoặc mẹ", "Copy of a parent's ID card", True),
            PaperDocument(
                "GCNKH", "Giấy chứng nhận kết hôn của cha mẹ", "Parents' marriage certificate", True
            ),
            PaperDocument(
                "SHK", "Giấy tờ chứng minh nơi cư trú của cha mẹ", "Proof of the parents' residence", True
            ),
        ),
        lookups=(
            _applicant_lookup(),
            Lookup(
                "lookup_marital_status",
                "Tra cứu tình trạng hôn nhân của cha mẹ",
                "population.marital_status",
                "marital_lookup",
                document="GCNKH",
            ),
            Lookup(
                "lookup_residence",
                "Tra cứu nơi cư trú của cha mẹ",
                "population.residence",
                "residence_lookup",
                document="SHK",
            ),
        ),
        steps=(
            Step(
                "appraise_birth",
                "Thẩm định đăng ký khai sinh (UBND xã)",
                name_en="Birth registration (commune People's Committee)",
                fields=(
                    Field(
                        "birth_register_number",
                        "Số đăng ký khai sinh",
                        "Birth register number",
                        example="45/2026",
                    ),
                ),
            ),
            Step(
                "appraise_residence",
                "Đăng ký thường trú cho trẻ (Công an xã)",
                name_en="Permanent residence for the child (commune police)",
                fields=(
                    Field(
                        "residence_registered",
                        "Đã đăng ký thường trú",
                        "Residence registered",
                        type="boolean",
                        example=True,
                    ),
                ),
            ),
            Step(
                "appraise_insurance",
                "Cấp thẻ BHYT cho trẻ (Bảo hiểm xã hội)",
                name_en="Health insurance card for the child (social insurance)",
            ),
        ),
        as_is_hours=Hours(intake=2, transfer=2, appraisal=12, approval=4, stamping=2, ret=2),
        to_be_hours=Hours(intake=1, transfer=0, appraisal=9, approval=2, stamping=1, ret=1),
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
        },
    ),
    ProcedureModel(
        code="building_permit",
        name_vi="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        result_vi="Giấy phép xây dựng",
        fields=(
            Field("plot_address", "Địa chỉ thửa đất", "Address of the plot", example="Thôn Đông, xã Vũ Thư"),
            Field(
                "land_certificate_number",
                "Số giấy chứng nhận quyền sử dụng đất",
                "Land-use certificate number",
                example="CS 012345",
            ),
            Field(
                "floor_area_m2",
                "Tổng diện tích sàn (m²)",
                "Total floor area (m²)",
                type="number",
                minimum=1,
                maximum=100000,
                example=180.5,
            ),
            Field("floors", "Số tầng", "Number of floors", type="integer", minimum=1, maximum=7, example=3),
        ),
        documents=(
            PaperDocument(
                "DON_XD", "Đơn đề nghị cấp giấy phép xây dựng", "Application for a building permit"
            ),
            PaperDocument("GCN_QSDD", "Giấy chứng nhận quyền sử dụng đất", "Land-use right certificate"),
            PaperDocument("BAN_VE", "Hai bộ bản vẽ thiết kế", "Two sets of design drawings"),
            PaperDocument("CCCD", "Bản sao căn cước của chủ đầu tư", "Copy of the owner's ID card", True),
        ),
        lookups=(_applicant_lookup(),),
        steps=(
            Step(
                "appraise",
                "Thẩm định hồ sơ thiết kế",
                name_en="Appraisal of the design",
                fields=(
                    Field(
                        "design_compliant",
                        "Thiết kế phù hợp quy hoạch",
                        "Design complies with the plan",
                        type="boolean",
                        example=True,
                    ),
                ),
                share=0.4,
            ),
            Step(
                "site_inspection",
                "Kiểm tra thực địa",
                name_en="Site inspection",
                fields=(
                    Field(
                        "site_findings",
                        "Kết quả kiểm tra thực địa",
                        "Site inspection findings",
                        example="Phù hợp",
                    ),
                ),
                share=0.6,
            ),
        ),
        # Seen for a building permit: reception 1 day, technical office 10 days, return 1 day.
        as_is_hours=Hours(intake=8, transfer=2, appraisal=80, approval=16, stamping=8, ret=8),
        to_be_hours=Hours(intake=4, transfer=0, appraisal=56, approval=8, stamping=4, ret=4),
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "034090012345",
        },
    ),
    ProcedureModel(
        code="criminal_record",
        name_vi="Cấp phiếu lý lịch tư pháp",
        result_vi="Phiếu lý lịch tư pháp",
        fields=(
            Field(
                "certificate_type",
                "Loại phiếu",
                "Certificate type",
                enum=("1", "2"),
                enum_titles=("Phiếu số 1", "Phiếu số 2"),
                example="1",
            ),
            Field("copies", "Số bản", "Number of copies", type="integer", minimum=1, maximum=10, example=1),
            Field("purpose", "Mục đích sử dụng", "Purpose", example="Bổ sung hồ sơ xin việc"),
        ),
        documents=(
            PaperDocument("TK_LLTP", "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp", "Application form"),
            PaperDocument("CCCD", "Bản sao căn cước", "Copy of the ID card", True),
            PaperDocument("CT", "Giấy tờ chứng minh nơi thường trú", "Proof of permanent residence", True),
        ),
        lookups=(
            _applicant_lookup(),
            Lookup(
                "lookup_residence",
                "Tra cứu nơi thường trú",
                "population.residence",
                "residence_lookup",
                document="CT",
            ),
        ),
        steps=(
            Step(
                "appraise",
                "Tra cứu, xác minh lý lịch tư pháp",
                name_en="Criminal-record search and verification",
                fields=(
                    Field(
                        "records_found", "Có án tích", "Criminal records found", type="boolean", example=False
                    ),
                ),
            ),
        ),
        as_is_hours=Hours(intake=4, transfer=2, appraisal=56, approval=8, stamping=4, ret=4),
        to_be_hours=Hours(intake=2, transfer=0, appraisal=40, approval=4, stamping=2, ret=2),
        submit_example={
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_date_of_birth": "1990-05-17",
            "applicant_id_number": "001090012345",
        },
    ),
]
